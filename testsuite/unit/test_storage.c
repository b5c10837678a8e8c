/*
 * Storage backends through the ops table: one test function runs every
 * operation on each backend: file always (a temporary directory), Redis
 * when PRAAS_TEST_REDIS names one (testsuite/with-redis.sh), S3 when
 * PRAAS_TEST_S3 is http://HOST:PORT/BUCKET (testsuite/with-s3.sh). Then
 * the failures: malformed URLs, unreachable and stalled servers (a clear
 * error within the timeout, never a hang), directories that cannot be used.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/common.h"
#include "core/error.h"
#include "storage/storage.h"
#include "testsuite/lib/tap.h"

/* Deterministic pseudo-random bytes (xorshift64*). */
static unsigned char *rand_bytes(size_t n, uint64_t seed)
{
    unsigned char *p = malloc(n ? n : 1);
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;

    for (size_t i = 0; p && i < n; i += 8) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        uint64_t v = x * 0x2545F4914F6CDD1Dull;
        memcpy(p + i, &v, PRAAS_MIN((size_t)8, n - i));
    }
    return p;
}

/* Does key hold exactly data[0..len)? */
static int holds(st_t *st, const char *key, const void *data, size_t len)
{
    void *got = NULL;
    size_t glen = 0;
    int ok;

    if (st_get(st, key, &got, &glen) != 0) {
        tap_diag("get %s failed: %s", key, praas_errmsg());
        return 0;
    }
    ok = glen == len && got && (len == 0 || memcmp(got, data, len) == 0);
    if (!ok)
        tap_diag("get %s returned %zu bytes, expected %zu%s", key, glen, len,
                 glen == len ? " (different bytes)" : "");
    free(got);
    return ok;
}

/* holds(), but for S3 through s3rver read again for up to 2 s: s3rver (the
 * test double) is not read-after-write consistent when the machine is
 * loaded (it may still serve the blob a PUT just replaced); real S3 is. */
static int holds_after_put(st_t *st, const char *name, const char *key, const void *data,
                           size_t len)
{
    for (int i = 0; i < 20; i++) {
        if (holds(st, key, data, len))
            return 1;
        if (strncmp(name, "s3", 2) != 0)
            return 0;
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

struct listing {
    char keys[16][ST_KEY_MAX + 1];
    int n;
    int stop_after;
};

static int collect(const char *key, void *arg)
{
    struct listing *l = arg;

    if (l->n < 16)
        snprintf(l->keys[l->n], sizeof(l->keys[0]), "%s", key);
    l->n++;
    return l->stop_after && l->n >= l->stop_after ? 42 : 0;
}

static int list_is(st_t *st, const char *prefix, const char *const *want, int nwant)
{
    struct listing l = {.n = 0};
    int rc = st_list(st, prefix, collect, &l);

    if (rc || l.n != nwant) {
        tap_diag("list '%s': rc %d, %d keys, want %d (%s)", prefix, rc, l.n, nwant,
                 praas_errmsg());
        for (int i = 0; i < l.n && i < 16; i++)
            tap_diag("  %s", l.keys[i]);
        return 0;
    }
    for (int i = 0; i < nwant; i++)
        if (strcmp(l.keys[i], want[i]) != 0) {
            tap_diag("list '%s': key %d is %s, want %s", prefix, i, l.keys[i], want[i]);
            return 0;
        }
    return 1;
}

/* Writers replace a blob with uniform patterns; readers must always see
 * one pattern whole. */
struct race {
    st_t *st;
    const char *key;
    size_t len;
    volatile int stop;
    volatile int reads;
    int torn, errors;
    char first_error[512];
};

static void race_error(struct race *r)
{
    if (r->errors++ == 0)
        snprintf(r->first_error, sizeof(r->first_error), "%s", praas_errmsg());
}

static void *race_writer(void *p)
{
    struct race *r = p;
    unsigned char *a = malloc(r->len), *b = malloc(r->len);

    memset(a, 'A', r->len);
    memset(b, 'B', r->len);
    for (int i = 0; !r->stop; i++) {
        if (st_put(r->st, r->key, i % 2 ? a : b, r->len) != 0)
            race_error(r);
        /* A pause, so that a single-threaded server serves reads too. */
        usleep(2000);
    }
    free(a);
    free(b);
    return NULL;
}

static void *race_reader(void *p)
{
    struct race *r = p;

    while (!r->stop) {
        unsigned char *got = NULL;
        size_t len = 0;
        if (st_get(r->st, r->key, (void **)&got, &len) != 0) {
            race_error(r);
            continue;
        }
        r->reads++;
        if (len != r->len || (got[0] != 'A' && got[0] != 'B'))
            r->torn++;
        else
            for (size_t i = 1; i < len; i++)
                if (got[i] != got[0]) {
                    r->torn++;
                    break;
                }
        free(got);
    }
    return NULL;
}

/* lenient: failed reads are allowed (s3rver streams a file that a
 * concurrent PUT replaces, and the client then sees a short body and fails
 * the read: an error, but never torn data, which is what is checked). */
static void test_race(st_t *st, const char *name, const char *key, size_t len, int lenient)
{
    struct race r = {.st = st, .key = key, .len = len};
    unsigned char *init = malloc(len);
    /* 4 s of racing, longer (up to 20 s) until at least one read got
     * through: a loaded machine (sanitizers, other tests) slows s3rver. */
    uint64_t end = core_deadline(4000), hard_end = core_deadline(20000);
    pthread_t w, rd;

    memset(init, 'A', len);
    st_put(st, key, init, len);
    free(init);
    pthread_create(&w, NULL, race_writer, &r);
    pthread_create(&rd, NULL, race_reader, &r);
    while (r.reads < 50 && !(core_expired(end) && r.reads > 0) && !core_expired(hard_end))
        usleep(10000);
    r.stop = 1;
    pthread_join(w, NULL);
    pthread_join(rd, NULL);
    tap_ok(r.torn == 0 && (lenient || r.errors == 0) && r.reads > 0,
           "%s: %d reads of %zu bytes during replacements: %d torn, %d errors %s", name,
           r.reads, len, r.torn, r.errors, r.first_error);
}

/* Every operation. ns: a key prefix unique to this run ("t123/"). big: a
 * size above the backend's chunk or part size, 0 when it has none. */
static void test_backend(st_t *st, const char *name, const char *ns, size_t big)
{
    static const size_t sizes[] = {0, 1, 4096, 1 << 20, 64 << 20};
    char key[ST_KEY_MAX + 64], k2[ST_KEY_MAX + 64];
    void *got = NULL;
    size_t len = 0;
    int rc, ex = -1;

    tap_diag("backend %s (%s), namespace %s", name, st->url, ns);
    snprintf(key, sizeof(key), "%smissing", ns);
    rc = st_get(st, key, &got, &len);
    tap_ok(rc == PRAAS_ERR_NOT_FOUND && strstr(praas_errmsg(), key),
           "%s: get of a missing key -> NOT_FOUND naming it (%s)", name, praas_errmsg());
    rc = st_stat(st, key, &len);
    tap_ok(rc == PRAAS_ERR_NOT_FOUND, "%s: stat of a missing key -> NOT_FOUND", name);
    rc = st_exists(st, key, &ex);
    tap_ok(rc == 0 && ex == 0, "%s: exists of a missing key -> 0", name);
    rc = st_del(st, key);
    tap_ok(rc == PRAAS_ERR_NOT_FOUND, "%s: delete of a missing key -> NOT_FOUND (%s)", name,
           praas_errmsg());
    {
        char buf[4];
        rc = st_get_range(st, key, 0, buf, sizeof(buf));
        tap_ok(rc == PRAAS_ERR_NOT_FOUND, "%s: ranged get of a missing key -> NOT_FOUND", name);
    }

    /* Sizes, byte-exact, with stat and ranged reads. */
    for (size_t i = 0; i < PRAAS_ARRAY_SIZE(sizes); i++) {
        size_t n = sizes[i], off = n / 3, rl = n ? PRAAS_MIN(n - off, n / 3 + 1) : 0;
        unsigned char *data = rand_bytes(n, i + 1), *part = malloc(rl ? rl : 1);
        uint64_t t0 = core_now_ns();
        snprintf(key, sizeof(key), "%ssize/%zu.bin", ns, n);
        rc = st_put(st, key, data, n);
        tap_ok(rc == 0, "%s: put %zu bytes (%.2f s) %s", name, n,
               (double)(core_now_ns() - t0) / 1e9, rc ? praas_errmsg() : "");
        t0 = core_now_ns();
        rc = holds(st, key, data, n);
        tap_ok(rc, "%s: get %zu bytes, byte-exact (%.2f s)", name, n,
               (double)(core_now_ns() - t0) / 1e9);
        len = 12345;
        rc = st_stat(st, key, &len);
        tap_ok(rc == 0 && len == n, "%s: stat says %zu bytes", name, len);
        ex = -1;
        tap_ok(st_exists(st, key, &ex) == 0 && ex == 1, "%s: exists", name);
        rc = st_get_range(st, key, off, part, rl);
        tap_ok(rc == 0 && (rl == 0 || memcmp(part, data + off, rl) == 0),
               "%s: ranged get of bytes %zu..%zu of %zu (%s)", name, off, off + rl, n,
               rc ? praas_errmsg() : "");
        rc = st_get_range(st, key, n, part, 0);
        tap_ok(rc == 0, "%s: ranged get of 0 bytes at the end of %zu", name, n);
        rc = st_get_range(st, key, n ? n - 1 : 0, part, 2);
        tap_ok(rc == PRAAS_ERR_RANGE, "%s: ranged get past the end of %zu -> RANGE (%s)", name,
               n, praas_errmsg());
        free(data);
        free(part);
        if (n >= (64 << 20))
            st_del(st, key);
    }

    /* Large blobs split in chunks or parts. */
    if (big) {
        unsigned char *data = rand_bytes(big, 99), *part = malloc(big);
        snprintf(key, sizeof(key), "%sbig", ns);
        rc = st_put(st, key, data, big);
        tap_ok(rc == 0, "%s: put %zu bytes (split) %s", name, big, rc ? praas_errmsg() : "");
        tap_ok(holds(st, key, data, big), "%s: get %zu bytes (split), byte-exact", name, big);
        rc = st_stat(st, key, &len);
        tap_ok(rc == 0 && len == big, "%s: stat of a split blob says %zu", name, len);
        rc = st_get_range(st, key, big / 2 - 1000, part, big / 2);
        tap_ok(rc == 0 && memcmp(part, data + big / 2 - 1000, big / 2) == 0,
               "%s: ranged get across parts (%s)", name, rc ? praas_errmsg() : "");
        rc = st_get_range(st, key, big - 10, part, 11);
        tap_ok(rc == PRAAS_ERR_RANGE, "%s: ranged get past the end of a split blob -> RANGE",
               name);
        /* Split replaced by small and back. */
        rc = st_put(st, key, "small", 5);
        tap_ok(rc == 0 && holds_after_put(st, name, key, "small", 5),
               "%s: a split blob replaced by a small one",
               name);
        rc = st_put(st, key, data, big);
        tap_ok(rc == 0 && holds_after_put(st, name, key, data, big), "%s: and by a split one again",
               name);
        rc = st_del(st, key);
        tap_ok(rc == 0 && st_stat(st, key, &len) == PRAAS_ERR_NOT_FOUND,
               "%s: delete of a split blob", name);
        free(data);
        free(part);
    }

    /* Overwrite. */
    {
        unsigned char *a = rand_bytes(1 << 20, 7), *b = rand_bytes(100, 8);
        snprintf(key, sizeof(key), "%sow", ns);
        rc = st_put(st, key, a, 1 << 20);
        rc |= st_put(st, key, b, 100);
        tap_ok(rc == 0 && holds_after_put(st, name, key, b, 100), "%s: overwrite 1 MiB with 100 bytes",
               name);
        rc = st_put(st, key, a, 1 << 20);
        tap_ok(rc == 0 && holds_after_put(st, name, key, a, 1 << 20), "%s: and back to 1 MiB", name);
        free(a);
        free(b);
    }

    /* Bad keys change nothing. */
    {
        static const char *bad[] = {"", "/abs", "a/../b", "..", "a//b", "a/", "has space",
                                    "na\xc3\xafve", "a#b", "a/./b", "./a", "a:b", "a\\b",
                                    "a\nb"};
        char longkey[ST_KEY_MAX + 2];
        snprintf(key, sizeof(key), "%sow", ns);
        for (size_t i = 0; i < PRAAS_ARRAY_SIZE(bad); i++) {
            rc = st_put(st, bad[i], "x", 1);
            tap_ok(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "invalid"),
                   "%s: put of bad key #%zu -> INVALID (%s)", name, i, praas_errmsg());
        }
        memset(longkey, 'k', sizeof(longkey) - 1);
        longkey[sizeof(longkey) - 1] = '\0';
        rc = st_put(st, longkey, "x", 1);
        tap_ok(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "513"),
               "%s: put of a 513-character key -> INVALID (%s)", name, praas_errmsg());
        /* The longest key, in components of 100 characters (file systems
         * and s3rver's store limit one name to 255 bytes). */
        longkey[ST_KEY_MAX] = '\0';
        memcpy(longkey, ns, strlen(ns));
        for (size_t i = 100; i < ST_KEY_MAX; i += 101)
            longkey[i] = '/';
        rc = st_put(st, longkey, "y", 1);
        tap_ok(rc == 0, "%s: put of a 512-character key (%s)", name,
               rc ? praas_errmsg() : "taken");
        tap_ok(holds(st, longkey, "y", 1), "%s: the 512-character key reads back", name);
        tap_ok(st_del(st, longkey) == 0, "%s: and is deleted", name);
        rc = st_get(st, "../etc/passwd", &got, &len);
        tap_ok(rc == PRAAS_ERR_INVALID, "%s: get of a bad key -> INVALID", name);
        rc = st_del(st, "a/../b");
        tap_ok(rc == PRAAS_ERR_INVALID, "%s: delete of a bad key -> INVALID", name);
        rc = st_stat(st, "/x", &len);
        tap_ok(rc == PRAAS_ERR_INVALID, "%s: stat of a bad key -> INVALID", name);
        rc = st_list(st, "../", collect, &(struct listing){.n = 0});
        tap_ok(rc == PRAAS_ERR_INVALID, "%s: list of a bad prefix -> INVALID", name);
        rc = st_get(st, NULL, &got, &len);
        tap_ok(rc == PRAAS_ERR_INVALID, "%s: a NULL key -> INVALID", name);
        {
            unsigned char *a = rand_bytes(1 << 20, 7);
            tap_ok(holds(st, key, a, 1 << 20), "%s: after the bad keys the blob is unchanged",
                   name);
            free(a);
        }
    }

    /* Listing by prefix; "a" and "a/b" side by side. */
    {
        const char *names[] = {"l/a", "l/a/deep", "l/b", "l/sub/c", "lx"};
        char want[5][ST_KEY_MAX + 64], pfx[ST_KEY_MAX + 64];
        const char *w[5];
        for (size_t i = 0; i < 5; i++) {
            snprintf(want[i], sizeof(want[i]), "%s%s", ns, names[i]);
            w[i] = want[i];
            rc = st_put(st, want[i], names[i], strlen(names[i]));
            if (rc)
                tap_diag("put %s: %s", want[i], praas_errmsg());
        }
        tap_ok(holds(st, w[0], "l/a", 3) && holds(st, w[1], "l/a/deep", 8),
               "%s: keys a and a/deep coexist", name);
        snprintf(pfx, sizeof(pfx), "%sl/", ns);
        tap_ok(list_is(st, pfx, w, 4), "%s: list '%s' gives the 4 keys under it, sorted", name,
               pfx);
        snprintf(pfx, sizeof(pfx), "%sl", ns);
        tap_ok(list_is(st, pfx, w, 5), "%s: list '%s' also gives %s", name, pfx, w[4]);
        snprintf(pfx, sizeof(pfx), "%sl/a", ns);
        tap_ok(list_is(st, pfx, w, 2), "%s: list '%s' gives a and a/deep", name, pfx);
        snprintf(pfx, sizeof(pfx), "%snone/", ns);
        tap_ok(list_is(st, pfx, w, 0), "%s: list of an unused prefix is empty", name);
        {
            struct listing l = {.n = 0, .stop_after = 2};
            snprintf(pfx, sizeof(pfx), "%sl/", ns);
            rc = st_list(st, pfx, collect, &l);
            tap_ok(rc == 42 && l.n == 2, "%s: a callback's non-zero return stops the listing "
                   "and is returned", name);
        }
        rc = st_del(st, w[0]);
        tap_ok(rc == 0 && holds(st, w[1], "l/a/deep", 8) &&
                   st_get(st, w[0], &got, &len) == PRAAS_ERR_NOT_FOUND,
               "%s: delete a, a/deep stays", name);
        rc = st_del(st, w[0]);
        tap_ok(rc == PRAAS_ERR_NOT_FOUND, "%s: delete again -> NOT_FOUND", name);
        for (size_t i = 1; i < 5; i++)
            st_del(st, w[i]);
        snprintf(pfx, sizeof(pfx), "%sl", ns);
        tap_ok(list_is(st, pfx, w, 0), "%s: all deleted, the listing is empty", name);
    }

    /* A reader never sees a torn blob. */
    snprintf(k2, sizeof(k2), "%srace", ns);
    test_race(st, name, k2, big ? big : 256 << 10, strncmp(name, "s3", 2) == 0);
    st_del(st, k2);

    /* Clean up what is left. */
    for (size_t i = 0; i < PRAAS_ARRAY_SIZE(sizes); i++) {
        snprintf(key, sizeof(key), "%ssize/%zu.bin", ns, sizes[i]);
        st_del(st, key);
    }
    snprintf(key, sizeof(key), "%sow", ns);
    st_del(st, key);
    tap_ok(list_is(st, ns, NULL, 0), "%s: nothing of the test is left", name);
}

/* A TCP socket on a loopback port that listens but never accepts or
 * answers: connecting succeeds (the kernel's backlog), then nothing. */
static int stalled_server(int *port_p)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0)
        return -1;
    *port_p = ntohs(a.sin_port);
    return fd;
}

static void test_failures(const char *tmp)
{
    char url[1024];
    st_t *st = NULL;
    uint64_t t0;
    double secs;
    int rc, fd, port = 0;

    static const char *bad_urls[] = {"ftp://x", "redis://host", "redis://h:0", "redis://h:99999",
                                     "redis://h:1/x", "s3://", "s3://bad bucket", "file://",
                                     "nothing"};
    for (size_t i = 0; i < PRAAS_ARRAY_SIZE(bad_urls); i++) {
        st = NULL;
        rc = st_open(bad_urls[i], &st);
        tap_ok(rc == PRAAS_ERR_INVALID && st == NULL && strstr(praas_errmsg(), bad_urls[i]),
               "malformed URL '%s' -> INVALID naming it (%s)", bad_urls[i], praas_errmsg());
    }
    setenv("PRAAS_STORAGE_TIMEOUT", "soon", 1);
    rc = st_open("file:///tmp", &st);
    tap_ok(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "PRAAS_STORAGE_TIMEOUT"),
           "a bad PRAAS_STORAGE_TIMEOUT -> INVALID naming it (%s)", praas_errmsg());
    setenv("PRAAS_STORAGE_TIMEOUT", "1000", 1);

    /* Unreachable: nothing listens on port 1. */
    t0 = core_now_ns();
    rc = st_open("redis://127.0.0.1:1", &st);
    secs = (double)(core_now_ns() - t0) / 1e9;
    tap_ok(rc == PRAAS_ERR_IO && strstr(praas_errmsg(), "127.0.0.1:1") && secs < 3,
           "unreachable Redis -> IO naming it in %.2f s (%s)", secs, praas_errmsg());
    setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1", 1);
    setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
    t0 = core_now_ns();
    rc = st_open("s3://bucket", &st);
    secs = (double)(core_now_ns() - t0) / 1e9;
    tap_ok(rc == PRAAS_ERR_IO && strstr(praas_errmsg(), "127.0.0.1:1") && secs < 3,
           "S3 endpoint on a closed port -> IO naming it in %.2f s (%s)", secs, praas_errmsg());

    /* Stalled: the connection is accepted by the kernel, nobody answers. */
    fd = stalled_server(&port);
    if (tap_ok(fd >= 0, "a stalled server listens")) {
        snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
        t0 = core_now_ns();
        rc = st_open(url, &st);
        secs = (double)(core_now_ns() - t0) / 1e9;
        tap_ok(rc == PRAAS_ERR_TIMEOUT && secs < 5,
               "stalled Redis -> TIMEOUT in %.2f s with a 1000 ms timeout (%s)", secs,
               praas_errmsg());
        snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
        setenv("AWS_ENDPOINT_URL_S3", url, 1);
        t0 = core_now_ns();
        rc = st_open("s3://bucket", &st);
        secs = (double)(core_now_ns() - t0) / 1e9;
        tap_ok(rc == PRAAS_ERR_TIMEOUT && secs < 5,
               "stalled S3 -> TIMEOUT in %.2f s with a 1000 ms timeout (%s)", secs,
               praas_errmsg());
        close(fd);
    }
    unsetenv("AWS_ENDPOINT_URL_S3");
    unsetenv("PRAAS_STORAGE_TIMEOUT");

    /* S3 without credentials. */
    unsetenv("AWS_ACCESS_KEY_ID");
    rc = st_open("s3://bucket", &st);
    tap_ok(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "AWS_ACCESS_KEY_ID"),
           "S3 without credentials -> INVALID naming the variables (%s)", praas_errmsg());

    /* Directories that cannot be used. */
    snprintf(url, sizeof(url), "%s/plainfile", tmp);
    fclose(fopen(url, "w"));
    snprintf(url, sizeof(url), "file://%s/plainfile/sub", tmp);
    rc = st_open(url, &st);
    tap_ok(rc == PRAAS_ERR_IO && strstr(praas_errmsg(), "plainfile/sub"),
           "file storage under a regular file -> IO naming the directory (%s)", praas_errmsg());
    rc = st_open("file:///proc/praas-no-such/dir", &st);
    tap_ok(rc == PRAAS_ERR_IO && strstr(praas_errmsg(), "/proc/praas-no-such/dir"),
           "file storage in a directory that cannot be created -> IO (%s)", praas_errmsg());
    if (geteuid() != 0) {
        snprintf(url, sizeof(url), "%s/ro", tmp);
        mkdir(url, 0555);
        snprintf(url, sizeof(url), "file://%s/ro", tmp);
        rc = st_open(url, &st);
        if (tap_ok(rc == 0, "file storage opens a read-only directory")) {
            rc = st_put(st, "k", "x", 1);
            tap_ok(rc == PRAAS_ERR_IO && strstr(praas_errmsg(), "/ro"),
                   "put into a read-only directory -> IO naming it (%s)", praas_errmsg());
            st_close(st);
        }
    } else {
        tap_diag("read-only directory: not checked (root writes anywhere)");
    }

    /* The default: $PRAAS_STORAGE, else file://$TMPDIR/praas-storage. */
    {
        char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
        struct stat sb;
        unsetenv("PRAAS_STORAGE");
        setenv("TMPDIR", tmp, 1);
        st = NULL;
        rc = st_open(NULL, &st);
        snprintf(url, sizeof(url), "%s/praas-storage", tmp);
        tap_ok(rc == 0 && strcmp(st->ops->name, "file") == 0 && stat(url, &sb) == 0 &&
                   S_ISDIR(sb.st_mode),
               "the default storage is file://$TMPDIR/praas-storage (%s)",
               rc ? praas_errmsg() : st->url);
        st_close(st);
        snprintf(url, sizeof(url), "file://%s/from-env", tmp);
        setenv("PRAAS_STORAGE", url, 1);
        st = NULL;
        rc = st_open(NULL, &st);
        tap_ok(rc == 0 && strcmp(st->url, url) == 0, "PRAAS_STORAGE names the default (%s)",
               rc ? praas_errmsg() : st->url);
        st_close(st);
        unsetenv("PRAAS_STORAGE");
        if (old)
            setenv("TMPDIR", old, 1);
        else
            unsetenv("TMPDIR");
        free(old);
    }
}

int main(void)
{
    char tmp[] = "/tmp/praas-test-storage.XXXXXX", url[1200], ns[64];
    const char *redis = getenv("PRAAS_TEST_REDIS"), *s3 = getenv("PRAAS_TEST_S3");
    st_t *st = NULL;
    int rc;

    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(ns, sizeof(ns), "t%d-%lx/", (int)getpid(), (unsigned long)core_now_ns() & 0xffffff);

    /* file */
    snprintf(url, sizeof(url), "file://%s/store", tmp);
    rc = st_open(url, &st);
    if (tap_ok(rc == 0, "open %s (%s)", url, rc ? praas_errmsg() : "")) {
        test_backend(st, "file", ns, 0);
        st_close(st);
    }

    /* Redis: database 2, and a second handle with small chunks. */
    if (redis && *redis) {
        snprintf(url, sizeof(url), "%s/2", redis);
        rc = st_open(url, &st);
        if (tap_ok(rc == 0, "open %s (%s)", url, rc ? praas_errmsg() : "")) {
            test_backend(st, "redis", ns, 0);
            st_close(st);
        }
        setenv("PRAAS_STORAGE_REDIS_CHUNK", "1000000", 1);
        rc = st_open(redis, &st);
        unsetenv("PRAAS_STORAGE_REDIS_CHUNK");
        if (tap_ok(rc == 0, "open %s with 1 MB chunks (%s)", redis, rc ? praas_errmsg() : "")) {
            test_backend(st, "redis-chunked", ns, 3500000);
            st_close(st);
        }
    } else {
        tap_diag("Redis not tested: PRAAS_TEST_REDIS is not set (see testsuite/with-redis.sh)");
    }

    /* S3: PRAAS_TEST_S3 = http://HOST:PORT/BUCKET; keys under a prefix. */
    if (s3 && *s3) {
        const char *path = strstr(s3, "://");
        path = path ? strchr(path + 3, '/') : NULL;
        if (tap_ok(path && path[1], "PRAAS_TEST_S3=%s is http://HOST:PORT/BUCKET", s3)) {
            char endpoint[1024];
            snprintf(endpoint, sizeof(endpoint), "%.*s", (int)(path - s3), s3);
            setenv("AWS_ENDPOINT_URL_S3", endpoint, 1);
            snprintf(url, sizeof(url), "s3://%s/praas-test", path + 1);
            rc = st_open(url, &st);
            if (tap_ok(rc == 0, "open %s at %s (%s)", url, endpoint, rc ? praas_errmsg() : "")) {
                test_backend(st, "s3", ns, 0);
                st_close(st);
            }
            setenv("PRAAS_STORAGE_S3_PART", "5242880", 1);
            rc = st_open(url, &st);
            unsetenv("PRAAS_STORAGE_S3_PART");
            if (tap_ok(rc == 0, "open %s with 5 MiB parts (%s)", url, rc ? praas_errmsg() : "")) {
                test_backend(st, "s3-multipart", ns, 12u << 20);
                st_close(st);
            }
            snprintf(url, sizeof(url), "s3://no-such-bucket-%d", (int)getpid());
            rc = st_open(url, &st);
            tap_ok(rc == PRAAS_ERR_NOT_FOUND && strstr(praas_errmsg(), "no-such-bucket"),
                   "S3: a bucket that does not exist -> NOT_FOUND naming it (%s)",
                   praas_errmsg());
            unsetenv("AWS_ENDPOINT_URL_S3");
        }
    } else {
        tap_diag("S3 not tested: PRAAS_TEST_S3 is not set (see testsuite/with-s3.sh)");
    }

    test_failures(tmp);

    snprintf(url, sizeof(url), "rm -rf '%s'", tmp);
    if (system(url) != 0)
        tap_diag("could not remove %s", tmp);
    tap_no_plan_end();
    return tap_exit();
}
