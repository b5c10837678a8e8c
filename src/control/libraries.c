/*
 * Function libraries uploaded to the control plane: the routes of
 * /v1/libraries and the library directory (libraries.h).
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "control/libraries.h"
#include "control/routes.h"
#include "control/serverless.h"
#include "core/common.h"
#include "core/error.h"

/* Uploads, deletions and reads of descriptions take this lock, so that a
 * reader never sees a library's file and description from two uploads, and
 * a deletion's check that no process uses the library holds until it is
 * gone. One lock for every control plane of the program: libraries change
 * rarely. The body of an upload is hashed and written outside it. */
static pthread_mutex_t cp_lib_lock = PTHREAD_MUTEX_INITIALIZER;

int cp_lib_setup(struct praas_control *ctl, const praas_control_opts_t *opts)
{
    const char *dir = opts->library_dir, *tmp = getenv("TMPDIR");
    char cwd[PATH_MAX];
    int n;

    ctl->max_library = opts->max_library ? opts->max_library : CP_MAX_LIBRARY_DEFAULT;
    if (dir == NULL || *dir == '\0')
        dir = getenv("PRAAS_LIBRARY_DIR");
    if (dir && *dir == '\0')
        dir = NULL;
    if (dir && dir[0] != '/') {
        if (getcwd(cwd, sizeof(cwd)) == NULL)
            return core_err(PRAAS_ERR_INVALID, "library directory '%s' is relative and the "
                            "current directory is unknown: %s", dir, strerror(errno));
        n = snprintf(ctl->library_dir, sizeof(ctl->library_dir), "%s/%s", cwd, dir);
    } else if (dir) {
        n = snprintf(ctl->library_dir, sizeof(ctl->library_dir), "%s", dir);
    } else {
        n = snprintf(ctl->library_dir, sizeof(ctl->library_dir), "%s/praas-libraries",
                     tmp && tmp[0] == '/' ? tmp : "/tmp");
    }
    if (n < 0 || (size_t)n >= sizeof(ctl->library_dir))
        return core_err(PRAAS_ERR_INVALID, "library directory '%s' is longer than %zu "
                        "characters", dir ? dir : "$TMPDIR/praas-libraries",
                        sizeof(ctl->library_dir) - 1);
    return 0;
}

size_t cp_route_body_limit(const struct praas_control *ctl, const char *url)
{
    if (strncmp(url, "/v1/libraries/", 14) == 0)
        return ctl->max_library;
    return cp_route_is_raw(url) ? ctl->max_payload : ctl->max_body;
}

int cp_lib_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > CP_LIBRARY_NAME_MAX || name[0] == '.')
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

/* DIR/NAME + suffix into buf (CP_LIB_PATH_MAX bytes: a directory, a name
 * and a suffix of at most 8 characters fit). */
#define CP_LIB_PATH_MAX (sizeof(((struct praas_control *)0)->library_dir) + 96)
static void cp_lib_path(const struct praas_control *ctl, const char *name, const char *suffix,
                        char *buf)
{
    snprintf(buf, CP_LIB_PATH_MAX, "%s/%.64s%.8s", ctl->library_dir, name, suffix);
}

/* The description of library name (a new reference), or NULL with errno
 * ENOENT when there is none; -1 after answering 503 for a description that
 * cannot be read. Call with the lock held. */
static int cp_lib_load(const struct praas_control *ctl, const char *name, struct cp_reply *rep,
                       json_t **rec_p)
{
    char path[CP_LIB_PATH_MAX];
    json_error_t jerr;
    json_t *rec;

    cp_lib_path(ctl, name, ".json", path);
    rec = json_load_file(path, 0, &jerr);
    if (rec == NULL && access(path, F_OK) != 0 && errno == ENOENT) {
        *rec_p = NULL;
        return 0;
    }
    if (rec == NULL || !json_is_object(rec)) {
        json_decref(rec);
        return cp_reply_error(rep, 503, "the description of library '%s' (%s) is unreadable: "
                              "%s", name, path, jerr.text);
    }
    *rec_p = rec;
    return 0;
}

/* cp_lib_load under the lock; a library that is not there answers status:
 * 404 on its own routes, 400 for a process that names it. */
static int cp_lib_find(struct praas_control *ctl, const char *name, int status,
                       struct cp_reply *rep, json_t **rec_p)
{
    json_t *rec;
    int rc;

    pthread_mutex_lock(&cp_lib_lock);
    rc = cp_lib_load(ctl, name, rep, &rec);
    pthread_mutex_unlock(&cp_lib_lock);
    if (rc < 0)
        return -1;
    if (rec == NULL && status == 404)
        return cp_reply_error(rep, 404, "no library '%s'", name);
    if (rec == NULL)
        return cp_reply_error(rep, status, "field 'library' is '%s': not an absolute path, "
                              "and no library of that name has been uploaded (PUT "
                              "/v1/libraries/%s)", name, name);
    *rec_p = rec;
    return 0;
}

int cp_lib_resolve(struct praas_control *ctl, const char *name, char *path, size_t size,
                   struct cp_reply *rep)
{
    char so[CP_LIB_PATH_MAX];
    json_t *rec;

    if (!cp_lib_name_ok(name, strlen(name)))
        return cp_reply_error(rep, 400, "field 'library' is '%.80s': neither an absolute path "
                              "nor a library name (1 to %d characters of [A-Za-z0-9_.-], not "
                              "starting with '.')", name, CP_LIBRARY_NAME_MAX);
    if (cp_lib_find(ctl, name, 400, rep, &rec) < 0)
        return -1;
    json_decref(rec);
    cp_lib_path(ctl, name, ".so", so);
    if (strlen(so) >= size)
        return cp_reply_error(rep, 400, "the path of library '%s' is too long", name);
    memcpy(path, so, strlen(so) + 1);
    return 0;
}

/* Check that body is an ELF shared object (ET_DYN) of this machine's word
 * size and byte order. Returns 0 or -1 after answering 400. */
static int cp_lib_check_elf(const char *body, size_t len, struct cp_reply *rep)
{
    const unsigned char *b = (const unsigned char *)body;
    unsigned type;
    int big;

    if (len < EI_NIDENT + 2 || memcmp(b, ELFMAG, SELFMAG) != 0)
        return cp_reply_error(rep, 400, "not a shared object: the body (%zu bytes) does not "
                              "start with the ELF magic number", len);
    if (b[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) ||
        len < (sizeof(void *) == 8 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
        return cp_reply_error(rep, 400, "not a shared object for this machine: ELF class %u, "
                              "not %zu-bit", b[EI_CLASS], sizeof(void *) * 8);
    big = b[EI_DATA] == ELFDATA2MSB;
    if (b[EI_DATA] != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? ELFDATA2MSB : ELFDATA2LSB))
        return cp_reply_error(rep, 400, "not a shared object for this machine: its byte order "
                              "differs");
    type = big ? (unsigned)b[16] << 8 | b[17] : (unsigned)b[17] << 8 | b[16];
    if (type != ET_DYN)
        return cp_reply_error(rep, 400, "not a shared object: ELF type %u (%s), not ET_DYN",
                              type, type == ET_EXEC ? "an executable" : type == ET_REL ?
                              "an object file; link it with -shared" : "not ET_DYN");
    return 0;
}

/* Write len bytes of data to a new hidden temporary file of the library
 * directory, synced, with mode 0644; its path in tmp. Returns 0 or -1
 * after answering 503. */
static int cp_lib_write_tmp(const struct praas_control *ctl, const char *name, const void *data,
                            size_t len, char *tmp, struct cp_reply *rep)
{
    const char *p = data;
    size_t done = 0;
    int fd;

    snprintf(tmp, CP_LIB_PATH_MAX, "%s/.%.64s.XXXXXX", ctl->library_dir, name);
    fd = mkstemp(tmp);
    if (fd < 0)
        return cp_reply_error(rep, 503, "cannot create a file in the library directory %s: %s",
                              ctl->library_dir, strerror(errno));
    while (done < len) {
        ssize_t n = write(fd, p + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto err_fd;
        done += (size_t)n;
    }
    if (fchmod(fd, 0644) < 0 || fsync(fd) < 0)
        goto err_fd;
    if (close(fd) < 0) {
        fd = -1;
        goto err_fd;
    }
    return 0;

err_fd:
    cp_reply_error(rep, 503, "cannot write library '%s' to %s: %s", name, tmp, strerror(errno));
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return -1;
}

static void cp_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;

    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    hex[64] = '\0';
}

/* PUT /v1/libraries/{name}: 201 for a new library, 200 for a replaced one,
 * with the description. */
static int cp_lib_put(struct praas_control *ctl, const char *name, const struct cp_request *req,
                      struct cp_reply *rep)
{
    char so_tmp[CP_LIB_PATH_MAX], js_tmp[CP_LIB_PATH_MAX], path[CP_LIB_PATH_MAX];
    char hex[65], when[32], *text;
    struct timespec now;
    struct tm tm;
    json_t *rec, *old = NULL;
    int existed;

    if (cp_lib_check_elf(req->body, req->body_len, rep) < 0)
        return -1;
    if (mkdir(ctl->library_dir, 0755) < 0 && errno != EEXIST)
        return cp_reply_error(rep, 503, "cannot create the library directory %s: %s",
                              ctl->library_dir, strerror(errno));
    cp_sha256_hex(req->body, req->body_len, hex);
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    rec = json_pack("{s:s, s:I, s:s, s:s}", "name", name, "size", (json_int_t)req->body_len,
                    "sha256", hex, "uploaded", when);
    text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
    if (text == NULL) {
        json_decref(rec);
        return cp_reply_error(rep, 503, "no memory for the description of library '%s'", name);
    }
    if (cp_lib_write_tmp(ctl, name, req->body, req->body_len, so_tmp, rep) < 0)
        goto err_text;
    if (cp_lib_write_tmp(ctl, name, text, strlen(text), js_tmp, rep) < 0)
        goto err_so;
    free(text);

    /* Both files are complete: rename the library, then its description. */
    pthread_mutex_lock(&cp_lib_lock);
    existed = cp_lib_load(ctl, name, rep, &old) == 0 && old != NULL;
    json_decref(old);
    cp_reply_clear(rep);
    cp_lib_path(ctl, name, ".so", path);
    if (rename(so_tmp, path) < 0) {
        pthread_mutex_unlock(&cp_lib_lock);
        cp_reply_error(rep, 503, "cannot store library '%s' as %s: %s", name, path,
                       strerror(errno));
        goto err_js;
    }
    cp_lib_path(ctl, name, ".json", path);
    if (rename(js_tmp, path) < 0) {
        pthread_mutex_unlock(&cp_lib_lock);
        cp_reply_error(rep, 503, "cannot store the description of library '%s' as %s: %s",
                       name, path, strerror(errno));
        unlink(js_tmp);
        json_decref(rec);
        return -1;
    }
    pthread_mutex_unlock(&cp_lib_lock);
    return cp_reply_json(rep, existed ? 200 : 201, rec);

err_so:
    unlink(so_tmp);
err_text:
    free(text);
    json_decref(rec);
    return -1;
err_js:
    unlink(so_tmp);
    unlink(js_tmp);
    json_decref(rec);
    return -1;
}

/* The name of the first process using library name in *id_p (malloc'd), or
 * NULL. Returns 0 or -1 (answered 503). */
static int cp_lib_user(struct praas_control *ctl, const char *name, struct cp_reply *rep,
                       char **id_p)
{
    struct cp_proc p;
    char **ids;
    size_t n;
    int rc;

    *id_p = NULL;
    rc = cp_store_smembers(ctl->store, CP_KEY_PROCS, &ids, &n);
    if (rc < 0)
        return cp_reply_store(rep, rc, "listing the processes that may use a library");
    for (size_t i = 0; i < n && *id_p == NULL; i++) {
        const char *lib;
        if (cp_proc_load(ctl, ids[i], rep, &p) < 0) {
            if (rep->status == 404) { /* deleted meanwhile */
                cp_reply_clear(rep);
                continue;
            }
            cp_strv_free(ids, n);
            return -1;
        }
        lib = json_string_value(json_object_get(p.rec, "library_name"));
        if (lib && strcmp(lib, name) == 0 && (*id_p = strdup(ids[i])) == NULL) {
            json_decref(p.rec);
            cp_strv_free(ids, n);
            return cp_reply_error(rep, 503, "no memory");
        }
        json_decref(p.rec);
    }
    cp_strv_free(ids, n);
    return 0;
}

/* DELETE /v1/libraries/{name}: 409 while a process uses it. */
static int cp_lib_delete(struct praas_control *ctl, const char *name, struct cp_reply *rep)
{
    char path[CP_LIB_PATH_MAX], *user;
    json_t *rec;

    pthread_mutex_lock(&cp_lib_lock);
    if (cp_lib_load(ctl, name, rep, &rec) < 0)
        goto err_unlock;
    if (rec == NULL) {
        cp_reply_error(rep, 404, "no library '%s'", name);
        goto err_unlock;
    }
    json_decref(rec);
    if (cp_lib_user(ctl, name, rep, &user) < 0)
        goto err_unlock;
    if (user) {
        cp_reply_error(rep, 409, "library '%s' is used by process %s; delete the process "
                       "first", name, user);
        free(user);
        goto err_unlock;
    }
    /* The description first: without it the library is gone, whatever
     * happens to the file. */
    cp_lib_path(ctl, name, ".json", path);
    if (unlink(path) < 0) {
        cp_reply_error(rep, 503, "cannot delete %s: %s", path, strerror(errno));
        goto err_unlock;
    }
    cp_lib_path(ctl, name, ".so", path);
    unlink(path);
    pthread_mutex_unlock(&cp_lib_lock);
    return cp_reply_json(rep, 200, json_pack("{s:s}", "deleted", name));

err_unlock:
    pthread_mutex_unlock(&cp_lib_lock);
    return -1;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "name")),
                  json_string_value(json_object_get(*(json_t *const *)b, "name")));
}

/* GET /v1/libraries: {"libraries": [descriptions sorted by name]}. */
static int cp_lib_list(struct praas_control *ctl, struct cp_reply *rep)
{
    json_t *list = json_array(), *rec;
    json_t **recs = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    DIR *d;

    if (list == NULL)
        return cp_reply_error(rep, 503, "no memory for the list of libraries");
    pthread_mutex_lock(&cp_lib_lock);
    d = opendir(ctl->library_dir);
    while (d && (de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        char name[CP_LIBRARY_NAME_MAX + 1];
        if (len <= 5 || strcmp(de->d_name + len - 5, ".json") != 0 ||
            !cp_lib_name_ok(de->d_name, len - 5))
            continue;
        memcpy(name, de->d_name, len - 5);
        name[len - 5] = '\0';
        if (cp_lib_load(ctl, name, rep, &rec) < 0)
            goto err;
        if (rec == NULL)
            continue;
        if (n == cap) {
            json_t **grown = realloc(recs, (cap = cap ? 2 * cap : 16) * sizeof(*recs));
            if (grown == NULL) {
                json_decref(rec);
                cp_reply_error(rep, 503, "no memory for the list of libraries");
                goto err;
            }
            recs = grown;
        }
        recs[n++] = rec;
    }
    if (d)
        closedir(d);
    pthread_mutex_unlock(&cp_lib_lock);
    if (n)
        qsort(recs, n, sizeof(*recs), cmp_name);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, recs[i]);
    free(recs);
    return cp_reply_json(rep, 200, json_pack("{s:o}", "libraries", list));

err:
    closedir(d);
    pthread_mutex_unlock(&cp_lib_lock);
    for (size_t i = 0; i < n; i++)
        json_decref(recs[i]);
    free(recs);
    json_decref(list);
    return -1;
}

static int cp_lib_get(struct praas_control *ctl, const char *name, struct cp_reply *rep)
{
    json_t *rec;

    if (cp_lib_find(ctl, name, 404, rep, &rec) < 0)
        return -1;
    return cp_reply_json(rep, 200, rec);
}

void cp_route_libraries(struct praas_control *ctl, const struct cp_request *req,
                        struct cp_reply *rep)
{
    const char *m = req->method, *name;
    size_t len;

    if (strcmp(req->path, "/v1/libraries") == 0) {
        if (strcmp(m, "GET") == 0)
            cp_lib_list(ctl, rep);
        else
            cp_not_allowed(req, rep, "GET");
        return;
    }
    name = req->path + 14; /* "/v1/libraries/" */
    if (strcmp(m, "GET") != 0 && strcmp(m, "PUT") != 0 && strcmp(m, "DELETE") != 0) {
        cp_not_allowed(req, rep, "GET, PUT, DELETE");
        return;
    }
    len = strlen(name);
    if (!cp_lib_name_ok(name, len)) {
        cp_reply_error(rep, 400, "library name '%.80s' is not 1 to %d characters of "
                       "[A-Za-z0-9_.-] not starting with '.'", name, CP_LIBRARY_NAME_MAX);
        return;
    }
    if (strcmp(m, "GET") == 0)
        cp_lib_get(ctl, name, rep);
    else if (strcmp(m, "PUT") == 0)
        cp_lib_put(ctl, name, req, rep);
    else
        cp_lib_delete(ctl, name, rep);
}
