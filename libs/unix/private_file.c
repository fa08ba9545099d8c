/* Whole-or-nothing files and private directories of the config dir. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unix/private_file.h"

int private_path(char *buf, size_t size, const char *dir, const char *name)
{
    int n = snprintf(buf, size, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* A temporary name no other writer uses at the same time: secsockd and
 * secsockctl may both replace a file of the same directory. */
static int open_temporary(const char *dir, const char *name, mode_t mode, char *tmp, size_t size)
{
    for (int attempt = 0; attempt < 8; attempt++)
    {
        unsigned int tag;
        int fd;

        if (getrandom(&tag, sizeof(tag), 0) != sizeof(tag)) tag = (unsigned int)getpid() ^ (unsigned int)attempt;
        if (snprintf(tmp, size, "%s/.%s.%08x.tmp", dir, name, tag) >= (int)size) return errno = ENAMETOOLONG, -1;
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    return errno = EEXIST, -1;
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    fsync(fd);
    close(fd);
}

int private_file_write(const char *dir, const char *name, const void *data, size_t len, mode_t mode,
                       char *why, size_t why_len)
{
    char tmp[4200], path[4200];
    const char *p = data;
    size_t done = 0;
    int fd;

    if (private_path(path, sizeof(path), dir, name))
    {
        snprintf(why, why_len, "path too long: %s/%s", dir, name);
        return -1;
    }
    if ((fd = open_temporary(dir, name, mode, tmp, sizeof(tmp))) < 0)
    {
        snprintf(why, why_len, "cannot write in %s: %s", dir, strerror(errno));
        return -1;
    }
    /* The umask must not widen or narrow what the caller asked for. */
    if (fchmod(fd, mode)) goto failed;
    while (done < len)
    {
        ssize_t n = write(fd, p + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) goto failed;
        done += (size_t)n;
    }
    if (fsync(fd)) goto failed;
    if (close(fd))
    {
        fd = -1;
        goto failed;
    }
    if (rename(tmp, path))
    {
        snprintf(why, why_len, "cannot create %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    sync_dir(dir);
    return 0;
failed:
    /* A full disk must not leave a half file that later fails to load. */
    snprintf(why, why_len, "cannot write %s: %s", path, strerror(errno ? errno : EIO));
    if (fd >= 0) close(fd);
    unlink(tmp);
    return -1;
}

int private_file_read(const char *path, char **data, size_t *len, char *why, size_t why_len)
{
    struct stat st;
    char *buf;
    size_t done = 0;
    int fd;

    *data = NULL;
    *len = 0;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
    {
        if (errno == ENOENT) return 1;
        snprintf(why, why_len, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uintmax_t)st.st_size > PRIVATE_FILE_MAX)
    {
        snprintf(why, why_len, "%s is not a regular file of at most %u bytes", path, PRIVATE_FILE_MAX);
        close(fd);
        return -1;
    }
    if (!(buf = malloc((size_t)st.st_size + 1)))
    {
        snprintf(why, why_len, "out of memory reading %s", path);
        close(fd);
        return -1;
    }
    /* The size may change under us: read what is there, up to the bound. */
    while (done < (size_t)st.st_size)
    {
        ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
        {
            snprintf(why, why_len, "cannot read %s: %s", path, strerror(errno));
            free(buf);
            close(fd);
            return -1;
        }
        if (!n) break;
        done += (size_t)n;
    }
    close(fd);
    buf[done] = 0;
    *data = buf;
    *len = done;
    return 0;
}

int private_dir_ensure(const char *dir, char *why, size_t why_len)
{
    struct stat st;

    if (mkdir(dir, 0700) && errno != EEXIST)
    {
        snprintf(why, why_len, "cannot make %s: %s", dir, strerror(errno));
        return -1;
    }
    if (lstat(dir, &st) || !S_ISDIR(st.st_mode))
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
    /* Whoever may add a file here may add a trusted CA or replace a key. */
    if (st.st_mode & 022)
    {
        snprintf(why, why_len, "%s may be written by other users (mode %03o): chmod 700 %s", dir,
                 (unsigned)(st.st_mode & 0777), dir);
        return -1;
    }
    return 0;
}

int private_lock(const char *dir, int *fd, char *why, size_t why_len)
{
    char path[4200];

    if (private_path(path, sizeof(path), dir, ".lock"))
    {
        snprintf(why, why_len, "path too long: %s", dir);
        return -1;
    }
    if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
    {
        snprintf(why, why_len, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    while (flock(*fd, LOCK_EX))
    {
        if (errno == EINTR) continue;
        snprintf(why, why_len, "cannot lock %s: %s", path, strerror(errno));
        close(*fd);
        *fd = -1;
        return -1;
    }
    return 0;
}

void private_unlock(int fd)
{
    if (fd >= 0) close(fd);   /* closing releases the flock */
}
