/* secsockd's runtime directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "runtime_dir.h"
#include "unix/client.h"
#include "secsock/sha256.h"

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
    return secsock_check_private_dir(&st, dir, why, why_len);
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

int runtime_dir_load_secret(const char *dir, uint8_t secret[SECSOCK_SECRET_LEN], char *why, size_t why_len)
{
    char path[4200], tmp[4200], text[SECSOCK_SECRET_MAX];
    int ret, fd, len, err;

    snprintf(path, sizeof(path), "%s/" SECSOCK_SECRET_FILE, dir);
    if ((ret = secsock_read_secret_file(path, secret, why, why_len)) <= 0) return ret;
    if (getrandom(secret, SECSOCK_SECRET_LEN, 0) != SECSOCK_SECRET_LEN)
    {
        snprintf(why, why_len, "cannot draw a secret: %s", strerror(errno));
        return -1;
    }
    len = secsock_secret_format(secret, text, sizeof(text));
    snprintf(tmp, sizeof(tmp), "%s/" SECSOCK_SECRET_FILE ".%d", dir, (int)getpid());
    unlink(tmp);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
    {
        snprintf(why, why_len, "cannot create %s: %s", tmp, strerror(errno));
        secsock_wipe(text, sizeof(text));
        return -1;
    }
    err = write(fd, text, (size_t)len) != len || fsync(fd) ? (errno ? errno : EIO) : 0;
    secsock_wipe(text, sizeof(text));
    if (close(fd) && !err) err = errno;
    /* link(), unlike rename(), fails when the name exists: a service that
     * started at the same moment and wrote its own secret keeps it, and we
     * read that one. */
    if (!err && link(tmp, path)) err = errno;
    unlink(tmp);
    if (err == EEXIST) return secsock_read_secret_file(path, secret, why, why_len) ? -1 : 0;
    if (err)
    {
        snprintf(why, why_len, "cannot write %s: %s", path, strerror(err));
        secsock_wipe(secret, SECSOCK_SECRET_LEN);
        return -1;
    }
    return 0;
}
