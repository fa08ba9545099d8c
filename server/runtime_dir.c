/* secsockd's runtime directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "runtime_dir.h"

/* mkdir -p for the parents, the last one private. */
static int make_dirs(const char *dir)
{
    char path[4096];
    size_t len = strlen(dir);

    if (len >= sizeof(path)) { errno = ENAMETOOLONG; return -1; }
    memcpy(path, dir, len + 1);
    for (char *p = path + 1; *p; p++)
    {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(path, 0755) && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(path, 0700) && errno != EEXIST) return -1;
    return 0;
}

int runtime_dir_prepare(const char *dir, char *why, size_t why_len)
{
    struct stat st;

    if (make_dirs(dir))
    {
        snprintf(why, why_len, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    if (lstat(dir, &st))
    {
        snprintf(why, why_len, "cannot stat %s: %s", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
    {
        snprintf(why, why_len, "%s is not a directory", dir);
        return -1;
    }
    if (st.st_uid != geteuid())
    {
        snprintf(why, why_len, "%s belongs to uid %u, not to this user (%u)", dir, (unsigned)st.st_uid,
                 (unsigned)geteuid());
        return -1;
    }
    if (st.st_mode & 077)
    {
        snprintf(why, why_len, "%s is open to other users (mode %03o); it must be 0700", dir,
                 (unsigned)(st.st_mode & 0777));
        return -1;
    }
    return 0;
}

int runtime_dir_write_control(const char *dir, const struct secsock_control_info *info)
{
    char text[SECSOCK_CONTROL_MAX], tmp[4200], path[4200];
    int len = secsock_control_format(info, text, sizeof(text)), fd;

    if (len < 0) { errno = EINVAL; return -1; }
    snprintf(tmp, sizeof(tmp), "%s/" SECSOCK_CONTROL_FILE ".%d", dir, (int)getpid());
    snprintf(path, sizeof(path), "%s/" SECSOCK_CONTROL_FILE, dir);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) return -1;
    if (write(fd, text, (size_t)len) != len || fsync(fd))
    {
        int err = errno;
        close(fd);
        unlink(tmp);
        errno = err ? err : EIO;
        return -1;
    }
    memset(text, 0, sizeof(text));
    if (close(fd) || rename(tmp, path))
    {
        int err = errno;
        unlink(tmp);
        errno = err;
        return -1;
    }
    return 0;
}

void runtime_dir_remove_control(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/" SECSOCK_CONTROL_FILE, dir);
    unlink(path);
}
