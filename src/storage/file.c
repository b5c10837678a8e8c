/*
 * The file backend: one file per blob under a directory.
 *
 * Layout: key "a/b/c" is the file DIR/a/b/c# (directories a/ and a/b/ are
 * created as needed and removed again when a delete empties them). The '#'
 * suffix, a character keys cannot hold, keeps a blob's file apart from a
 * directory of the same name, so that keys "a" (file "a#") and "a/b"
 * (directory "a") can both exist.
 *
 * put writes a temporary file "c#tmp.RANDOM" in the same directory, fsyncs
 * it, renames it over "c#" and fsyncs the directory: a reader opens either
 * the old file or the new one, never a partial one, and a crash leaves the
 * old blob or the new one (plus, at worst, a temporary file that list
 * ignores). Files are never modified in place, so a blob read through an
 * open descriptor cannot change under the reader.
 *
 * All paths are relative to a descriptor of DIR opened once, so a DIR given
 * as a relative path keeps meaning the same directory after a chdir.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/common.h"
#include "core/error.h"
#include "storage/storage.h"

/* The longest single read() or write(); Linux caps one call at about 2 GiB
 * anyway, and a bounded size keeps a signal's interruption cheap. */
#define FILE_IO_MAX ((size_t)1 << 30)
/* How often put recreates the directories a concurrent delete removed. */
#define FILE_PUT_TRIES 5

typedef struct st_file {
    st_t base;
    char *dir;
    int dirfd;
} st_file_t;

/* Errors of a path that does not exist (or whose parent is not a
 * directory, e.g. a key's directory part that is not one). */
static int file_enoent(int e)
{
    return e == ENOENT || e == ENOTDIR;
}

static int file_err(st_file_t *f, int e, const char *op, const char *key)
{
    int code = e == ENAMETOOLONG ? PRAAS_ERR_INVALID
               : e == ENOMEM  ? PRAAS_ERR_NOMEM
                              : PRAAS_ERR_IO;
    return core_err(code, "storage %s: cannot %s '%s' in directory %s: %s", f->base.url, op,
                    key, f->dir, strerror(e));
}

/* The file name of key's blob: key + "#", malloc'd. */
static char *file_path(const char *key)
{
    size_t len = strlen(key);
    char *p = malloc(len + 2);

    if (p) {
        memcpy(p, key, len);
        p[len] = '#';
        p[len + 1] = '\0';
    }
    return p;
}

/* mkdir -p of the directory part of path (relative to dirfd). */
static int file_mkdirs(st_file_t *f, const char *path)
{
    char buf[ST_KEY_MAX + 64];
    size_t len = strlen(path);

    if (len >= sizeof(buf))
        return ENAMETOOLONG;
    memcpy(buf, path, len + 1);
    for (char *s = buf; (s = strchr(s, '/')) != NULL; s++) {
        *s = '\0';
        if (mkdirat(f->dirfd, buf, 0777) != 0 && errno != EEXIST)
            return errno;
        *s = '/';
    }
    return 0;
}

/* Remove the now perhaps empty directories above path, deepest first; stop
 * at the first that is not empty. */
static void file_rmdirs(st_file_t *f, const char *path)
{
    char buf[ST_KEY_MAX + 64];
    size_t len = strlen(path);
    char *s;

    if (len >= sizeof(buf))
        return;
    memcpy(buf, path, len + 1);
    while ((s = strrchr(buf, '/')) != NULL) {
        *s = '\0';
        if (unlinkat(f->dirfd, buf, AT_REMOVEDIR) != 0)
            return;
    }
}

static int file_write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, PRAAS_MIN(len, FILE_IO_MAX));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Read exactly len bytes at off. Returns 0, an errno, or -1 at a premature
 * end of file. */
static int file_pread_all(int fd, char *p, size_t len, off_t off)
{
    while (len) {
        ssize_t n = pread(fd, p, PRAAS_MIN(len, FILE_IO_MAX), off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (n == 0)
            return -1;
        p += n;
        len -= (size_t)n;
        off += n;
    }
    return 0;
}

/* fsync the directory holding path, so that a rename in it is durable. */
static int file_sync_parent(st_file_t *f, const char *path)
{
    char buf[ST_KEY_MAX + 64];
    const char *dir = ".";
    char *s;
    int fd, rc = 0;

    snprintf(buf, sizeof(buf), "%s", path);
    s = strrchr(buf, '/');
    if (s) {
        *s = '\0';
        dir = buf;
    }
    fd = openat(f->dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    if (fsync(fd) != 0 && errno != EINVAL)
        rc = errno;
    close(fd);
    return rc;
}

static int file_put(st_t *st, const char *key, const void *data, size_t len)
{
    st_file_t *f = (st_file_t *)st;
    char *path = file_path(key), tmp[ST_KEY_MAX + 64];
    int fd = -1, e = 0, rc;

    if (!path)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a path");
    /* Create the temporary file, making the directories first (again, if
     * a concurrent delete of a neighbour removed them meanwhile). */
    for (int tries = 0; fd < 0 && tries < FILE_PUT_TRIES * 4; tries++) {
        unsigned long long r = 0;
        if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
            r = (unsigned long long)getpid() * 2654435761u + (unsigned long long)tries;
        snprintf(tmp, sizeof(tmp), "%stmp.%016llx", path, r);
        fd = openat(f->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0)
            break;
        e = errno;
        if (e == EEXIST)
            continue;
        if (!file_enoent(e) || tries >= FILE_PUT_TRIES)
            break;
        e = file_mkdirs(f, path);
        if (e)
            break;
    }
    if (fd < 0) {
        rc = file_err(f, e, "create a file for", key);
        goto err_path;
    }
    e = file_write_all(fd, data, len);
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (e) {
        rc = file_err(f, e, "write", key);
        goto err_tmp;
    }
    if (renameat(f->dirfd, tmp, f->dirfd, path) != 0) {
        rc = file_err(f, errno, "rename the new file of", key);
        goto err_tmp;
    }
    e = file_sync_parent(f, path);
    free(path);
    if (e)
        return file_err(f, e, "sync the directory of", key);
    return 0;

err_tmp:
    unlinkat(f->dirfd, tmp, 0);
err_path:
    free(path);
    return rc;
}

/* Open key's blob for reading and tell its length. */
static int file_open_blob(st_file_t *f, const char *key, int *fd_p, size_t *len_p)
{
    char *path = file_path(key);
    struct stat sb;
    int fd, e;

    if (!path)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a path");
    fd = openat(f->dirfd, path, O_RDONLY | O_CLOEXEC);
    e = errno;
    free(path);
    if (fd < 0) {
        if (file_enoent(e))
            return core_err(PRAAS_ERR_NOT_FOUND, "storage %s: no blob '%s'", f->base.url, key);
        return file_err(f, e, "open", key);
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        e = S_ISREG(sb.st_mode) ? errno : EISDIR;
        close(fd);
        return file_err(f, e, "read", key);
    }
    *fd_p = fd;
    *len_p = (size_t)sb.st_size;
    return 0;
}

static int file_get(st_t *st, const char *key, void **data_p, size_t *len_p)
{
    st_file_t *f = (st_file_t *)st;
    size_t len;
    char *data;
    int fd, rc, e;

    rc = file_open_blob(f, key, &fd, &len);
    if (rc)
        return rc;
    data = malloc(len ? len : 1);
    if (!data) {
        close(fd);
        return core_err(PRAAS_ERR_NOMEM, "storage %s: no memory for blob '%s' (%zu bytes)",
                        st->url, key, len);
    }
    e = file_pread_all(fd, data, len, 0);
    close(fd);
    if (e) {
        free(data);
        if (e < 0)
            return core_err(PRAAS_ERR_IO, "storage %s: blob '%s' is shorter than its %zu bytes",
                            st->url, key, len);
        return file_err(f, e, "read", key);
    }
    *data_p = data;
    *len_p = len;
    return 0;
}

static int file_get_range(st_t *st, const char *key, size_t off, void *buf, size_t len)
{
    st_file_t *f = (st_file_t *)st;
    size_t size;
    int fd, rc, e;

    rc = file_open_blob(f, key, &fd, &size);
    if (rc)
        return rc;
    if (off > size || len > size - off) {
        close(fd);
        return core_err(PRAAS_ERR_RANGE,
                        "storage %s: bytes %zu..%zu are past the end of blob '%s' (%zu bytes)",
                        st->url, off, off + len, key, size);
    }
    e = file_pread_all(fd, buf, len, (off_t)off);
    close(fd);
    if (e < 0)
        return core_err(PRAAS_ERR_IO, "storage %s: blob '%s' is shorter than its %zu bytes",
                        st->url, key, size);
    return e ? file_err(f, e, "read", key) : 0;
}

static int file_del(st_t *st, const char *key)
{
    st_file_t *f = (st_file_t *)st;
    char *path = file_path(key);
    int e;

    if (!path)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a path");
    if (unlinkat(f->dirfd, path, 0) != 0) {
        e = errno;
        free(path);
        if (file_enoent(e))
            return core_err(PRAAS_ERR_NOT_FOUND, "storage %s: no blob '%s' to delete",
                            st->url, key);
        return file_err(f, e, "delete", key);
    }
    file_rmdirs(f, path);
    free(path);
    return 0;
}

static int file_stat(st_t *st, const char *key, size_t *len_p)
{
    st_file_t *f = (st_file_t *)st;
    char *path = file_path(key);
    struct stat sb;
    int rc, e;

    if (!path)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a path");
    rc = fstatat(f->dirfd, path, &sb, 0);
    e = errno;
    free(path);
    if (rc != 0) {
        if (file_enoent(e))
            return core_err(PRAAS_ERR_NOT_FOUND, "storage %s: no blob '%s'", st->url, key);
        return file_err(f, e, "stat", key);
    }
    if (!S_ISREG(sb.st_mode))
        return file_err(f, EISDIR, "stat", key);
    *len_p = (size_t)sb.st_size;
    return 0;
}

/* Collect the keys under directory rel ("" for DIR itself, else ending in
 * '/') that start with prefix. */
static int file_walk(st_file_t *f, const char *rel, const char *prefix, st_keyv_t *v)
{
    size_t rlen = strlen(rel), plen = strlen(prefix);
    struct dirent *de;
    DIR *d;
    int fd, rc = 0;

    fd = openat(f->dirfd, rlen ? rel : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return file_enoent(errno) ? 0 : file_err(f, errno, "list", rlen ? rel : ".");
    d = fdopendir(fd);
    if (!d) {
        close(fd);
        return file_err(f, errno, "list", rlen ? rel : ".");
    }
    while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
        char name[ST_KEY_MAX + 2];
        size_t nlen = strlen(de->d_name);
        const char *hash = strchr(de->d_name, '#');
        int isdir;

        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (rlen + nlen + 1 >= sizeof(name))
            continue;
        memcpy(name, rel, rlen);
        memcpy(name + rlen, de->d_name, nlen + 1);
        if (hash) {
            /* A blob ("x#"); anything else with a '#' is a temporary file. */
            if (hash[1] != '\0' || nlen < 2)
                continue;
            name[rlen + nlen - 1] = '\0';
            if (strncmp(name, prefix, plen) == 0)
                rc = st_keyv_add(v, name, rlen + nlen - 1);
            continue;
        }
        isdir = de->d_type == DT_DIR;
        if (de->d_type == DT_UNKNOWN) {
            struct stat sb;
            isdir = fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
                    S_ISDIR(sb.st_mode);
        }
        if (!isdir)
            continue;
        /* Go down only where keys with the prefix can be. */
        name[rlen + nlen] = '/';
        name[rlen + nlen + 1] = '\0';
        if (strncmp(name, prefix, PRAAS_MIN(plen, rlen + nlen + 1)) == 0)
            rc = file_walk(f, name, prefix, v);
    }
    if (rc == 0 && errno)
        rc = file_err(f, errno, "list", rlen ? rel : ".");
    closedir(d);
    return rc;
}

static int file_list(st_t *st, const char *prefix, st_list_cb_t cb, void *arg)
{
    st_file_t *f = (st_file_t *)st;
    char start[ST_KEY_MAX + 2];
    const char *slash = strrchr(prefix, '/');
    st_keyv_t v = {0};
    int rc;

    /* Start in the deepest directory the prefix names. */
    start[0] = '\0';
    if (slash)
        snprintf(start, sizeof(start), "%.*s", (int)(slash - prefix + 1), prefix);
    rc = file_walk(f, start, prefix, &v);
    if (rc) {
        st_keyv_free(&v);
        return rc;
    }
    return st_keyv_emit(&v, cb, arg);
}

static void file_close(st_t *st)
{
    st_file_t *f = (st_file_t *)st;

    close(f->dirfd);
    free(f->dir);
    st_fini(st);
    free(f);
}

static const st_ops_t file_ops = {
    .name = "file",
    .put = file_put,
    .get = file_get,
    .get_range = file_get_range,
    .del = file_del,
    .stat = file_stat,
    .list = file_list,
    .close = file_close,
};

/* mkdir -p dir (an absolute or relative path). Returns 0 or an errno. */
static int file_mkdir_p(const char *dir)
{
    char *buf = strdup(dir);
    int e = 0;

    if (!buf)
        return ENOMEM;
    for (char *s = buf + 1; ; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                e = errno;
                break;
            }
            *s = c;
            if (c == '\0')
                break;
        }
    }
    free(buf);
    return e;
}

int st_file_open(const char *url, const char *rest, int timeout_ms, st_t **st_p)
{
    st_file_t *f;
    int rc, e;

    if (*rest == '\0')
        return core_err(PRAAS_ERR_INVALID, "storage URL '%s' names no directory "
                        "(expected file://DIR, e.g. file:///var/lib/praas)", url);
    f = calloc(1, sizeof(*f));
    if (!f)
        return core_err(PRAAS_ERR_NOMEM, "no memory for file storage");
    rc = st_init(&f->base, &file_ops, url, timeout_ms);
    if (rc)
        goto err_free;
    f->dir = strdup(rest);
    if (!f->dir) {
        rc = core_err(PRAAS_ERR_NOMEM, "no memory for file storage");
        goto err_fini;
    }
    e = file_mkdir_p(f->dir);
    if (e) {
        rc = core_err(PRAAS_ERR_IO, "storage %s: cannot create directory %s: %s", url, f->dir,
                      strerror(e));
        goto err_dir;
    }
    f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (f->dirfd < 0) {
        rc = core_err(PRAAS_ERR_IO, "storage %s: cannot open directory %s: %s", url, f->dir,
                      strerror(errno));
        goto err_dir;
    }
    *st_p = &f->base;
    return 0;

err_dir:
    free(f->dir);
err_fini:
    st_fini(&f->base);
err_free:
    free(f);
    return rc;
}
