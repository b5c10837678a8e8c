/*
 * The data-plane codec (src/runtime/dp.h, wire.h): every header field
 * round-trips, every limit is exact, every bad field is refused by name,
 * meta sections are checked, frames cross a socket pair intact and a
 * truncated one is PEER, a silent one TIMEOUT; a reply meta's numbers are
 * read alike by the scan and the parser (rt_meta_u64); a reader polls only
 * while its first bytes come soon (struct rt_rbuf's spin_off).
 */
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/common.h"
#include "core/error.h"
#include "runtime/dp.h"
#include "runtime/wire.h"
#include "testsuite/lib/tap.h"

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 0x2545F4914F6CDD1Dull;
}

static int same(const struct rt_hdr *a, const struct rt_hdr *b)
{
    return a->magic == b->magic && a->type == b->type && a->flags == b->flags &&
           a->id == b->id && a->name_len == b->name_len && a->meta_len == b->meta_len &&
           a->payload_len == b->payload_len && a->status == b->status &&
           a->reserved == b->reserved;
}

/* Encode h, decode it: the return code, and *out. */
static int roundtrip(const struct rt_hdr *h, struct rt_hdr *out)
{
    unsigned char raw[RT_HDR_SIZE];

    rt_hdr_encode(h, raw);
    return rt_hdr_decode(raw, out);
}

/* rt_meta_u64's answer for text and key: "1:value", "0" or "err". */
static const char *u64_of(const char *text, const char *key)
{
    static char out[32];
    uint64_t v = 0;
    int rc = rt_meta_u64(text, key, &v);

    if (rc < 0)
        return "err";
    if (rc == 0)
        return "0";
    snprintf(out, sizeof(out), "1:%llu", (unsigned long long)v);
    return out;
}

static void meta_u64_checks(void)
{
    static const struct { const char *text, *key, *want; } t[] = {
        {"{\"cpu_ns\":123,\"wall_ns\":456}", "cpu_ns", "1:123"},
        {"{\"cpu_ns\":123,\"wall_ns\":456}", "wall_ns", "1:456"},
        {"{\"cpu_ns\":123}", "wall_ns", "0"},
        {"{}", "cpu_ns", "0"},
        {"{\"cpu_ns\":0}", "cpu_ns", "1:0"},
        {"{\"cpu_ns\":9223372036854775807}", "cpu_ns", "1:9223372036854775807"},
        {"{\"cpu_ns\":9223372036854775808}", "cpu_ns", "err"}, /* past the parser's range */
        {"{ \"cpu_ns\" : 7 }", "cpu_ns", "1:7"},               /* blanks: parsed */
        {"{\"a\\\"b\":1,\"cpu_ns\":5}", "cpu_ns", "1:5"},    /* an escape: parsed */
        {"{\"x\":{\"cpu_ns\":1},\"cpu_ns\":2}", "cpu_ns", "1:2"}, /* nested: parsed */
        {"{\"cpu_ns\":-1}", "cpu_ns", "0"},
        {"{\"cpu_ns\":\"9\"}", "cpu_ns", "0"},
        {"{\"cpu_ns\":1.5}", "cpu_ns", "0"},
        {"{\"cpu_ns\":1,\"cpu_ns\":2}", "cpu_ns", "err"}, /* duplicate keys */
        {"{\"a\":1,\"b\":2,\"a\":3}", "b", "err"},
        {"{\"cpu_ns\":01}", "cpu_ns", "err"},
        {"{\"cpu_ns\":1", "cpu_ns", "err"},
        {"{\"cpu_ns\":1}x", "cpu_ns", "err"},
        {"[1]", "cpu_ns", "err"},
        {"", "cpu_ns", "0"}, /* no meta section */
    };

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        const char *got = u64_of(t[i].text, t[i].key);
        tap_ok(strcmp(got, t[i].want) == 0, "rt_meta_u64(%s, %s) = %s (want %s)", t[i].text,
               t[i].key, got, t[i].want);
    }
}

struct late { int fd, ms; };

static void *write_late(void *arg)
{
    struct late *l = arg;

    poll(NULL, 0, l->ms);
    if (write(l->fd, "0123456789", 10) != 10)
        tap_diag("short write");
    return NULL;
}

/* The adaptive poll before a first byte: a byte that takes longer than
 * spin_ns turns polling off; one that is there at once turns it back on;
 * the bytes are read either way. */
static void spin_checks(void)
{
    int sv[2];
    unsigned char b[64];
    struct rt_rbuf rb = {.buf = b, .cap = sizeof(b), .spin_ns = 20000000};
    struct late l;
    pthread_t t;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
        tap_ok(0, "socketpair");
        return;
    }
    l = (struct late){sv[0], 200};
    pthread_create(&t, NULL, write_late, &l);
    int rc = rt_rbuf_fill(sv[1], &rb, 10, 5000, 1000);
    pthread_join(t, NULL);
    tap_ok(rc == 0 && rb.end - rb.pos == 10 && memcmp(rb.buf + rb.pos, "0123456789", 10) == 0 &&
               rb.spin_off == 1,
           "bytes 200 ms late arrive after a 20 ms poll, and polling turns off (spin_off %d)",
           rb.spin_off);
    rb.pos = rb.end;
    if (write(sv[0], "abcdefghij", 10) != 10)
        tap_diag("short write");
    rc = rt_rbuf_fill(sv[1], &rb, 10, 5000, 1000);
    tap_ok(rc == 0 && memcmp(rb.buf + rb.pos, "abcdefghij", 10) == 0 && rb.spin_off == 0,
           "bytes there at once: read without polling, and polling turns back on (spin_off %d)",
           rb.spin_off);
    rb.pos = rb.end;
    l = (struct late){sv[0], 1};
    pthread_create(&t, NULL, write_late, &l);
    rc = rt_rbuf_fill(sv[1], &rb, 10, 5000, 1000);
    pthread_join(t, NULL);
    tap_ok(rc == 0 && memcmp(rb.buf + rb.pos, "0123456789", 10) == 0 && rb.spin_off == 0,
           "bytes 1 ms late are caught by the poll (spin_off %d)", rb.spin_off);
    rb.pos = rb.end;
    /* Waits of 5 ms with a 1 ms poll: off after the first; the sleeping
     * waits count up to the probe, which polls (in vain) and turns it off. */
    rb.spin_ns = 1000000;
    int counted = 1, probed = 0;
    for (int i = 0; i <= RT_SPIN_PROBE && rc == 0; i++) {
        int before = rb.spin_off;
        l = (struct late){sv[0], 5};
        pthread_create(&t, NULL, write_late, &l);
        rc = rt_rbuf_fill(sv[1], &rb, 10, 5000, 1000);
        pthread_join(t, NULL);
        rb.pos = rb.end;
        if (i > 0 && before % RT_SPIN_PROBE == 0)
            probed = rb.spin_off == 1;
        else if (i > 0)
            counted &= rb.spin_off == before % RT_SPIN_PROBE + 1;
    }
    tap_ok(rc == 0 && counted && probed,
           "long waits count sleeping waits, and every %d-th polls again (rc %d, counted %d, "
           "probed %d)", RT_SPIN_PROBE, rc, counted, probed);
    rb.spin_ns = 20000000;
    rc = rt_rbuf_fill(sv[1], &rb, 10, 50, 1000);
    tap_ok(rc == PRAAS_ERR_TIMEOUT, "nothing within first_ms after a poll: TIMEOUT (%s)",
           praas_errmsg());
    close(sv[0]);
    rc = rt_rbuf_fill(sv[1], &rb, 10, 5000, 1000);
    tap_ok(rc == PRAAS_ERR_PEER, "the peer closed while we poll: PEER (%s)", praas_errmsg());
    close(sv[1]);
}

int main(void)
{
    struct rt_hdr h, d;
    unsigned char raw[RT_HDR_SIZE];
    uint64_t x = 42;
    int rc, good = 0;

    /* Little-endian layout, field by field. */
    h = (struct rt_hdr){RT_MAGIC, RT_MSG_INVOKE, 0, 0x0102030405060708ull, 9, 10,
                        0x0000000100000000ull, -14, 0};
    rt_hdr_encode(&h, raw);
    static const unsigned char want[RT_HDR_SIZE] = {
        0x50, 0x52, 0x44, 0x31, 3, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1, 9, 0, 0, 0,
        10,   0,    0,    0,    0, 0, 0, 0, 1, 0, 0, 0, 0xf2, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    tap_ok(memcmp(raw, want, RT_HDR_SIZE) == 0, "the header's bytes are little-endian \"PRD1\"...");
    tap_ok(rt_hdr_decode(raw, &d) == 0 && same(&h, &d), "and decode back to every field");

    /* Random valid headers of every type round-trip. */
    static const unsigned types[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18};
    for (int i = 0; i < 10000; i++) {
        h = (struct rt_hdr){RT_MAGIC, (uint16_t)types[rnd(&x) % PRAAS_ARRAY_SIZE(types)], 0,
                            rnd(&x), (uint32_t)(rnd(&x) % (RT_NAME_MAX + 1)),
                            (uint32_t)(rnd(&x) % (RT_META_MAX + 1)),
                            rnd(&x) % (RT_PAYLOAD_MAX + 1), (int32_t)rnd(&x), 0};
        good += roundtrip(&h, &d) == 0 && same(&h, &d);
    }
    tap_ok(good == 10000, "10000 random valid headers round-trip (%d)", good);

    /* Limits: the maximum passes, one more fails naming the field. */
    h = (struct rt_hdr){RT_MAGIC, RT_MSG_INVOKE, 0, 1, RT_NAME_MAX, RT_META_MAX, RT_PAYLOAD_MAX,
                        0, 0};
    tap_ok(roundtrip(&h, &d) == 0 && same(&h, &d), "every length at its limit decodes");
    h.name_len = RT_NAME_MAX + 1;
    rc = roundtrip(&h, &d);
    tap_ok(rc == PRAAS_ERR_PROTOCOL && strstr(praas_errmsg(), "name length 257"),
           "name_len 257: %s", praas_errmsg());
    h.name_len = 0;
    h.meta_len = RT_META_MAX + 1;
    rc = roundtrip(&h, &d);
    tap_ok(rc == PRAAS_ERR_PROTOCOL && strstr(praas_errmsg(), "meta length 65537"),
           "meta_len 64 KiB + 1: %s", praas_errmsg());
    h.meta_len = 0;
    h.payload_len = RT_PAYLOAD_MAX + 1;
    rc = roundtrip(&h, &d);
    tap_ok(rc == PRAAS_ERR_PROTOCOL && strstr(praas_errmsg(), "payload length 4294967297"),
           "payload_len 4 GiB + 1: %s", praas_errmsg());
    h.payload_len = UINT64_MAX;
    tap_ok(roundtrip(&h, &d) == PRAAS_ERR_PROTOCOL, "payload_len 2^64 - 1 is refused");
    h.payload_len = 0;
    h.name_len = UINT32_MAX;
    tap_ok(roundtrip(&h, &d) == PRAAS_ERR_PROTOCOL, "name_len 2^32 - 1 is refused");
    h.name_len = 0;

    h.magic = 0x31445251u;
    rc = roundtrip(&h, &d);
    tap_ok(rc == PRAAS_ERR_PROTOCOL && strstr(praas_errmsg(), "magic"), "bad magic: %s",
           praas_errmsg());
    h.magic = RT_MAGIC;
    int types_bad = 0;
    for (unsigned t = 0; t < 65536; t++) {
        h.type = (uint16_t)t;
        int valid = (t >= 1 && t <= 16) || t == 18;
        rc = roundtrip(&h, &d);
        types_bad += valid ? rc != 0 : rc != PRAAS_ERR_PROTOCOL;
    }
    tap_ok(types_bad == 0, "exactly types 1..16 and 18 decode (0, 17, 19..65535 refused)");
    h.type = 17;
    rc = roundtrip(&h, &d);
    tap_ok(strstr(praas_errmsg(), "unknown data-plane message type 17") != NULL,
           "an unknown type is named: %s", praas_errmsg());
    h.type = RT_MSG_PING;
    h.flags = 0x8000;
    rc = roundtrip(&h, &d);
    tap_ok(rc == PRAAS_ERR_PROTOCOL && strstr(praas_errmsg(), "flags"), "flags set: %s",
           praas_errmsg());
    h.flags = RT_FLAG_SESSION_GONE;
    rc = roundtrip(&h, &d);
    tap_ok(rc == PRAAS_ERR_PROTOCOL && strstr(praas_errmsg(), "flags"),
           "a reply flag on a request: %s", praas_errmsg());
    h.type = RT_MSG_RESULT;
    rc = roundtrip(&h, &d);
    tap_ok(rc == 0 && d.flags == RT_FLAG_SESSION_GONE, "RT_FLAG_SESSION_GONE on a reply decodes");
    h.type = RT_MSG_PING;
    h.flags = 0;
    h.reserved = 1;
    rc = roundtrip(&h, &d);
    tap_ok(rc == PRAAS_ERR_PROTOCOL && strstr(praas_errmsg(), "reserved"), "reserved set: %s",
           praas_errmsg());
    memset(&d, 0x5a, sizeof(d));
    struct rt_hdr before = d;
    rc = roundtrip(&h, &d);
    tap_ok(rc && memcmp(&d, &before, sizeof(d)) == 0, "a refused header writes nothing");

    /* Meta sections. */
    json_t *m = (json_t *)1;
    tap_ok(rt_meta_parse("", 0, &m) == 0 && m == NULL, "an empty meta section is NULL");
    rc = rt_meta_parse("{\"a\": 1}", 8, &m);
    tap_ok(rc == 0 && json_integer_value(json_object_get(m, "a")) == 1, "a JSON object parses");
    json_decref(m);
    rc = rt_meta_parse("[1]", 3, &m);
    tap_ok(rc == PRAAS_ERR_PROTOCOL && strstr(praas_errmsg(), "not an object"),
           "an array is refused: %s", praas_errmsg());
    rc = rt_meta_parse("{\"a\": 1}garbage", 15, &m);
    tap_ok(rc == PRAAS_ERR_PROTOCOL, "trailing bytes are refused: %s", praas_errmsg());
    rc = rt_meta_parse("{\"a\": 1, \"a\": 2}", 16, &m);
    tap_ok(rc == PRAAS_ERR_PROTOCOL, "duplicate keys are refused: %s", praas_errmsg());
    rc = rt_meta_parse("{\"a\": 1", 7, &m);
    tap_ok(rc == PRAAS_ERR_PROTOCOL, "a truncated object is refused: %s", praas_errmsg());
    /* Not NUL-terminated: the parser must stop at len. */
    char nonul[8] = {'{', '}', 'x', 'x', 'x', 'x', 'x', 'x'};
    rc = rt_meta_parse(nonul, 2, &m);
    tap_ok(rc == 0 && json_object_size(m) == 0, "the parser reads only len bytes");
    json_decref(m);

    /* Frames over a socket pair. */
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    json_t *meta = json_pack("{si}", "nargs", 3);
    char payload[5000];
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (char)i;
    h = (struct rt_hdr){.type = RT_MSG_INVOKE, .id = 77};
    rc = rt_frame_send(sv[0], &h, "fname", meta, payload, sizeof(payload), 1000);
    json_decref(meta);
    char sect[64], pl[5000];
    rc = rc ? rc : rt_io_read(sv[1], raw, RT_HDR_SIZE, 1000);
    rc = rc ? rc : rt_hdr_decode(raw, &d);
    rc = rc ? rc : rt_io_read(sv[1], sect, d.name_len + d.meta_len, 1000);
    rc = rc ? rc : rt_io_read(sv[1], pl, (size_t)d.payload_len, 1000);
    tap_ok(rc == 0 && d.id == 77 && d.name_len == 5 && memcmp(sect, "fname", 5) == 0 &&
               d.meta_len == strlen("{\"nargs\":3}") &&
               memcmp(sect + 5, "{\"nargs\":3}", d.meta_len) == 0 && d.payload_len == 5000 &&
               memcmp(pl, payload, 5000) == 0,
           "a frame crosses a socket intact (header, name, meta, payload)");
    char big[RT_NAME_MAX + 2];
    memset(big, 'n', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    rc = rt_frame_send(sv[0], &h, big, NULL, NULL, 0, 1000);
    tap_ok(rc == PRAAS_ERR_INVALID, "a sender refuses a name over the limit: %s", praas_errmsg());
    rc = rt_io_read(sv[1], pl, 10, 100);
    tap_ok(rc == PRAAS_ERR_TIMEOUT, "a silent peer: TIMEOUT (%s)", praas_errmsg());
    if (write(sv[0], "abc", 3) != 3)
        tap_diag("short write");
    close(sv[0]);
    rc = rt_io_read(sv[1], pl, 10, 1000);
    tap_ok(rc == PRAAS_ERR_PEER && strstr(praas_errmsg(), "closed"),
           "a truncated frame then end of stream: PEER (%s)", praas_errmsg());
    close(sv[1]);
    tap_ok(strcmp(rt_msg_name(RT_MSG_SWAP_IN), "SWAP_IN") == 0 && strcmp(rt_msg_name(17), "?") == 0,
           "message names");
    meta_u64_checks();
    spin_checks();
    tap_no_plan_end();
    return tap_exit();
}
