/*
 * A fuzz target for the data plane (TAP), run as a normal test and meant to
 * be clean under --enable-sanitizers: deterministic seeds, thousands of
 * iterations, everything in-process.
 *
 *  1. The header decoder on random and mutated 40-byte headers: whatever
 *     it accepts satisfies every limit; it never writes on refusal.
 *  2. The meta parser on random and mutated JSON held in buffers of exactly
 *     their length (so a read past the end is a sanitizer error).
 *  3. The server's frame handling: a script of valid frames (ALLOC, HELLO,
 *     INVOKE with deps, nargs and timeouts, PING, METRICS, DELETE, ...)
 *     mutated (bytes flipped, lengths set to limits, truncated, spliced, or
 *     pure garbage) is fed through a socket pair to rt_server_serve_fd in
 *     this thread; every reply must be a well-formed frame, and the server
 *     must shut down cleanly at the end (no invocation or connection left).
 *
 * Usage: fuzz_dp [ITERATIONS] (default 2000; PRAAS_FUZZ_ITERS too).
 */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/common.h"
#include "core/error.h"
#include "runtime/dp.h"
#include "runtime/rt.h"
#include "runtime/wire.h"
#include "testsuite/lib/tap.h"

static uint64_t g_x = 0x9E3779B97F4A7C15ull;

/* The functions the scripts invoke, found by the server with dlsym in this
 * program (linked with --export-dynamic). */
praas_function_t echo, counter_add, sum, fail;
static int64_t g_counter;

PRAAS_EXPORT int echo(praas_invocation_t *inv)
{
    const void *p;
    size_t n;

    praas_inv_payload(inv, &p, &n);
    return praas_inv_result_set(inv, p, n);
}

PRAAS_EXPORT int counter_add(praas_invocation_t *inv)
{
    const void *p;
    size_t n;
    int64_t d = 0;

    praas_inv_payload(inv, &p, &n);
    memcpy(&d, p, PRAAS_MIN(n, sizeof(d)));
    d = __atomic_add_fetch(&g_counter, d, __ATOMIC_SEQ_CST);
    return praas_inv_result_copy(inv, &d, sizeof(d));
}

PRAAS_EXPORT int sum(praas_invocation_t *inv)
{
    size_t total = 0, n;
    const void *p;
    void *r;

    for (int i = 0; i < praas_inv_nargs(inv); i++) {
        praas_inv_arg(inv, i, &p, &n);
        total += n;
    }
    return praas_inv_result_buf(inv, total, &r);
}

PRAAS_EXPORT int fail(praas_invocation_t *inv)
{
    return praas_inv_fail(inv, PRAAS_ERR_INVALID, "failing on purpose");
}

static uint64_t rnd(void)
{
    g_x ^= g_x >> 12;
    g_x ^= g_x << 25;
    g_x ^= g_x >> 27;
    return g_x * 0x2545F4914F6CDD1Dull;
}

static size_t rnd_below(size_t n)
{
    return n ? (size_t)(rnd() % n) : 0;
}

/* ---- 1. the header decoder ---- */

static void fuzz_headers(int iters)
{
    static const uint64_t edges[] = {0, 1, RT_NAME_MAX, RT_NAME_MAX + 1, RT_META_MAX,
                                     RT_META_MAX + 1, RT_PAYLOAD_MAX, RT_PAYLOAD_MAX + 1,
                                     UINT32_MAX, UINT64_MAX};
    unsigned char raw[RT_HDR_SIZE];
    struct rt_hdr h, before;
    int accepted = 0, broken = 0;

    for (int i = 0; i < iters; i++) {
        if (i % 2) {
            for (int k = 0; k < RT_HDR_SIZE; k++)
                raw[k] = (unsigned char)rnd();
        } else {
            h = (struct rt_hdr){RT_MAGIC, (uint16_t)(1 + rnd_below(18)), 0, rnd(),
                                (uint32_t)edges[rnd_below(4)],
                                (uint32_t)edges[rnd_below(6)], edges[rnd_below(10)], 0, 0};
            rt_hdr_encode(&h, raw);
            for (size_t k = rnd_below(3); k > 0; k--)
                raw[rnd_below(RT_HDR_SIZE)] ^= (unsigned char)(1u << rnd_below(8));
        }
        memset(&h, 0xa5, sizeof(h));
        before = h;
        if (rt_hdr_decode(raw, &h) == 0) {
            accepted++;
            broken += h.magic != RT_MAGIC || !rt_msg_valid(h.type) ||
                      (h.flags & ~RT_FLAGS_KNOWN) || (h.flags && (h.type & 1)) ||
                      h.reserved || h.name_len > RT_NAME_MAX || h.meta_len > RT_META_MAX ||
                      h.payload_len > RT_PAYLOAD_MAX;
        } else {
            broken += memcmp(&h, &before, sizeof(h)) != 0;
        }
    }
    tap_ok(broken == 0 && accepted > 0,
           "%d random and mutated headers: %d accepted, all within the limits; the refused "
           "ones wrote nothing",
           iters, accepted);
}

/* ---- 2. the meta parser ---- */

static void fuzz_meta(int iters)
{
    static const char *const seeds[] = {
        "{\"deps\":[1,2,3],\"nargs\":8,\"arg\":3,\"timeout_ms\":100}",
        "{\"memory\":65536,\"max_functions\":2}", "{\"storage\":\"a/b\"}", "{}", "[]",
        "{\"a\":{\"b\":[{\"c\":\"\\u00e9\"}]}}", "\"str\"", "{\"x\":1e999}"};
    int objects = 0, bad = 0;

    for (int i = 0; i < iters; i++) {
        const char *s = seeds[rnd_below(PRAAS_ARRAY_SIZE(seeds))];
        size_t n = strlen(s);
        if (i % 3 == 0)
            n = rnd_below(n + 1);
        char *buf = malloc(n ? n : 1);
        memcpy(buf, s, n);
        if (i % 3 == 1)
            for (size_t k = 1 + rnd_below(3); n && k > 0; k--)
                buf[rnd_below(n)] = (char)rnd();
        if (i % 7 == 6)
            for (size_t k = 0; k < n; k++)
                buf[k] = (char)rnd();
        json_t *m = NULL;
        int rc = rt_meta_parse(buf, n, &m);
        if (rc == 0) {
            objects += m != NULL;
            bad += m && !json_is_object(m);
            json_decref(m);
        } else {
            bad += rc != PRAAS_ERR_PROTOCOL;
        }
        free(buf);
    }
    tap_ok(bad == 0 && objects > 0,
           "%d random and mutated meta sections: %d objects, everything else PROTOCOL", iters,
           objects);
}

/* ---- 3. the server ---- */

struct script {
    unsigned char *b;
    size_t n, cap;
};

static void put(struct script *s, const void *p, size_t n)
{
    if (s->n + n > s->cap) {
        s->cap = (s->n + n) * 2;
        s->b = realloc(s->b, s->cap);
    }
    if (n)
        memcpy(s->b + s->n, p, n);
    s->n += n;
}

static void add_frame(struct script *s, unsigned type, uint64_t id, const char *name,
                      const char *meta, const void *payload, size_t plen)
{
    struct rt_hdr h = {RT_MAGIC, (uint16_t)type, 0, id, (uint32_t)strlen(name),
                       (uint32_t)strlen(meta), plen, 0, 0};
    unsigned char raw[RT_HDR_SIZE];

    rt_hdr_encode(&h, raw);
    put(s, raw, sizeof(raw));
    put(s, name, strlen(name));
    put(s, meta, strlen(meta));
    put(s, payload, plen);
}

static void build_script(struct script *s, const char *sid, int it)
{
    char meta[160];
    int64_t one = 1;
    unsigned char pl[300];

    for (size_t i = 0; i < sizeof(pl); i++)
        pl[i] = (unsigned char)rnd();
    s->n = 0;
    add_frame(s, RT_MSG_ALLOC, 1, sid, "{\"memory\":65536,\"max_functions\":2}", NULL, 0);
    add_frame(s, RT_MSG_HELLO, 2, sid, "", NULL, 0);
    add_frame(s, RT_MSG_INVOKE, 10, "echo", "", pl, rnd_below(sizeof(pl)));
    add_frame(s, RT_MSG_INVOKE, 11, "counter_add", "{\"deps\":[10]}", &one, sizeof(one));
    snprintf(meta, sizeof(meta), "{\"deps\":[11,%d],\"timeout_ms\":10}", 1000 + it);
    add_frame(s, RT_MSG_INVOKE, 12, "echo", meta, pl, 8);
    add_frame(s, RT_MSG_INVOKE, 13, "sum", "{\"nargs\":2,\"arg\":0,\"timeout_ms\":10}", &one,
              sizeof(one));
    add_frame(s, RT_MSG_INVOKE, 14, "fail", "", "x", 1);
    add_frame(s, RT_MSG_INVOKE, 15, "nosuch", "", NULL, 0);
    add_frame(s, RT_MSG_PING, 3, "", "", NULL, 0);
    add_frame(s, RT_MSG_METRICS, 4, sid, "", NULL, 0);
    add_frame(s, RT_MSG_METRICS, 5, "", "", NULL, 0);
    add_frame(s, RT_MSG_SWAP_IN, 6, sid, "{\"storage\":\"nope\",\"memory\":65536}", NULL, 0);
    add_frame(s, RT_MSG_DELETE, 7, sid, "", NULL, 0);
}

/* Flip bytes, set a length field to a limit, truncate, splice, or replace
 * everything with garbage. */
static void mutate(struct script *s)
{
    size_t k;

    switch (rnd_below(7)) {
    case 0: /* unchanged */
        break;
    case 1:
        for (k = 1 + rnd_below(4); k > 0; k--)
            s->b[rnd_below(s->n)] ^= (unsigned char)(1u << rnd_below(8));
        break;
    case 2:
        for (k = 1 + rnd_below(8); k > 0; k--)
            s->b[rnd_below(s->n)] = (unsigned char)rnd();
        break;
    case 3:
        s->n = rnd_below(s->n);
        break;
    case 4: { /* a header field of the first frames at an edge */
        static const uint32_t v32[] = {0, 1, 255, 256, 257, 65536, 65537, 0xffffffffu};
        size_t at = 16 + 4 * rnd_below(3); /* name_len, meta_len or payload_len low */
        uint32_t v = v32[rnd_below(PRAAS_ARRAY_SIZE(v32))];
        size_t off = RT_HDR_SIZE + strlen("{\"memory\":65536,\"max_functions\":2}") + 5;
        unsigned char *p = s->b + (rnd_below(2) ? 0 : off);
        if ((size_t)(p - s->b) + at + 4 <= s->n)
            memcpy(p + at, &v, 4);
        break;
    }
    case 5: { /* splice: a copy of a random chunk inserted at a random place */
        size_t a = rnd_below(s->n), len = rnd_below(s->n - a + 1), at = rnd_below(s->n);
        unsigned char *chunk = malloc(len ? len : 1);
        memcpy(chunk, s->b + a, len);
        struct script t = {0};
        put(&t, s->b, at);
        put(&t, chunk, len);
        put(&t, s->b + at, s->n - at);
        free(chunk);
        free(s->b);
        *s = t;
        break;
    }
    case 6:
        s->n = rnd_below(600);
        if (s->n > s->cap) {
            s->cap = s->n;
            s->b = realloc(s->b, s->cap);
        }
        for (k = 0; k < s->n; k++)
            s->b[k] = (unsigned char)rnd();
        break;
    }
}

/* Read replies until the server closes the stream (or 30 ms of silence);
 * count frames and malformed ones. */
static void drain(int fd, int *frames, int *bad, int *idle)
{
    static char sect[RT_NAME_MAX + RT_META_MAX];
    unsigned char raw[RT_HDR_SIZE];
    struct rt_hdr h;

    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 30) <= 0) {
            (*idle)++;
            return;
        }
        int rc = rt_io_read(fd, raw, sizeof(raw), 2000);
        if (rc == PRAAS_ERR_PEER)
            return;
        if (rc || rt_hdr_decode(raw, &h) || (h.type & 1 && h.type != RT_MSG_ERROR) ||
            rt_io_read(fd, sect, h.name_len + h.meta_len, 2000) ||
            rt_io_skip(fd, h.payload_len, 2000)) {
            if ((*bad)++ < 5)
                tap_diag("a malformed reply: %d %s", rc, praas_errmsg());
            return;
        }
        json_t *m = NULL;
        if (rt_meta_parse(sect + h.name_len, h.meta_len, &m) ||
            (h.status && !json_is_string(json_object_get(m, "error")))) {
            if ((*bad)++ < 5)
                tap_diag("a reply %s with status %d and meta %.*s", rt_msg_name(h.type),
                         (int)h.status, (int)h.meta_len, sect + h.name_len);
        }
        json_decref(m);
        (*frames)++;
    }
}

static void feed(struct rt_server *srv, const struct script *s, int *frames, int *bad,
                 int *idle)
{
    int sv[2], big = 1 << 20;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    struct iovec iov = {s->b, s->n};
    rt_io_writev(sv[0], &iov, 1, 1000);
    shutdown(sv[0], SHUT_WR);
    rt_server_serve_fd(srv, sv[1]); /* until end of stream or a bad frame */
    drain(sv[0], frames, bad, idle);
    close(sv[0]);
}

int main(int argc, char **argv)
{
    int iters = argc > 1 ? atoi(argv[1]) : getenv("PRAAS_FUZZ_ITERS")
                                               ? atoi(getenv("PRAAS_FUZZ_ITERS"))
                                               : 2000;
    char dir[] = "/tmp/praas-fuzz-XXXXXX", storage[128];
    struct rt_server *srv = NULL;
    struct script s = {0}, del = {0};
    int frames = 0, bad = 0, idle = 0, rc;

    if (!mkdtemp(dir)) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    snprintf(storage, sizeof(storage), "file://%s", dir);

    fuzz_headers(iters * 50);
    fuzz_meta(iters * 10);

    struct rt_server_opts o = {.storage = storage, .max_payload = 1 << 20,
                               .io_timeout_ms = 500, .id = "fuzz"};
    rc = rt_server_create(&o, &srv);
    if (rc) {
        printf("Bail out! rt_server_create: %s\n", praas_errmsg());
        return 1;
    }
    srv->lib = dlopen(NULL, RTLD_NOW); /* this program's own functions */
    srv->o.library = "fuzz_dp";
    for (int it = 0; it < iters; it++) {
        char sid[32];
        snprintf(sid, sizeof(sid), "fz%d", it);
        build_script(&s, sid, it);
        mutate(&s);
        feed(srv, &s, &frames, &bad, &idle);
        /* Whatever the mutation left behind: delete the session. */
        del.n = 0;
        add_frame(&del, RT_MSG_DELETE, 9, sid, "", NULL, 0);
        feed(srv, &del, &frames, &bad, &idle);
    }
    tap_ok(bad == 0 && frames > iters,
           "%d mutated scripts through the server: %d reply frames, all well-formed (%d "
           "streams left open by waiting invocations)",
           iters, frames, idle);
    rc = rt_server_destroy(srv, 10000);
    tap_ok(rc == 0, "the server shuts down with nothing left running (%s)",
           rc ? praas_errmsg() : "ok");
    free(s.b);
    free(del.b);
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", dir);
    tap_no_plan_end();
    return tap_exit();
}
