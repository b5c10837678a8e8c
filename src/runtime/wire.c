/*
 * The data-plane codec (dp.h) and stream helpers (wire.h).
 *
 * The header is 40 bytes, little-endian, in the order of struct rt_hdr:
 *   0 magic u32 | 4 type u16 | 6 flags u16 | 8 id u64 | 16 name_len u32 |
 *   20 meta_len u32 | 24 payload_len u64 | 32 status i32 | 36 reserved u32
 * It is encoded byte by byte, so neither the host's byte order nor the
 * struct's padding leaks onto the wire.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/common.h"
#include "core/log.h"
#include "core/error.h"
#include "runtime/wire.h"

static void put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint16_t get16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const unsigned char *p)
{
    uint32_t v = 0;

    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

int rt_msg_valid(unsigned type)
{
    return (type >= RT_MSG_HELLO && type <= RT_MSG_PING_REPLY) || type == RT_MSG_ERROR;
}

const char *rt_msg_name(unsigned type)
{
    static const char *const names[] = {
        [RT_MSG_HELLO] = "HELLO",       [RT_MSG_HELLO_REPLY] = "HELLO_REPLY",
        [RT_MSG_INVOKE] = "INVOKE",     [RT_MSG_RESULT] = "RESULT",
        [RT_MSG_ALLOC] = "ALLOC",       [RT_MSG_ALLOC_REPLY] = "ALLOC_REPLY",
        [RT_MSG_SWAP_OUT] = "SWAP_OUT", [RT_MSG_SWAP_OUT_REPLY] = "SWAP_OUT_REPLY",
        [RT_MSG_SWAP_IN] = "SWAP_IN",   [RT_MSG_SWAP_IN_REPLY] = "SWAP_IN_REPLY",
        [RT_MSG_DELETE] = "DELETE",     [RT_MSG_DELETE_REPLY] = "DELETE_REPLY",
        [RT_MSG_METRICS] = "METRICS",   [RT_MSG_METRICS_REPLY] = "METRICS_REPLY",
        [RT_MSG_PING] = "PING",         [RT_MSG_PING_REPLY] = "PING_REPLY",
        [RT_MSG_ERROR] = "ERROR",
    };

    return rt_msg_valid(type) ? names[type] : "?";
}

void rt_hdr_encode(const struct rt_hdr *h, unsigned char out[RT_HDR_SIZE])
{
    put32(out + 0, h->magic);
    put16(out + 4, h->type);
    put16(out + 6, h->flags);
    put64(out + 8, h->id);
    put32(out + 16, h->name_len);
    put32(out + 20, h->meta_len);
    put64(out + 24, h->payload_len);
    put32(out + 32, (uint32_t)h->status);
    put32(out + 36, h->reserved);
}

int rt_hdr_decode(const unsigned char in[RT_HDR_SIZE], struct rt_hdr *h)
{
    struct rt_hdr d;

    d.magic = get32(in + 0);
    d.type = get16(in + 4);
    d.flags = get16(in + 6);
    d.id = get64(in + 8);
    d.name_len = get32(in + 16);
    d.meta_len = get32(in + 20);
    d.payload_len = get64(in + 24);
    d.status = (int32_t)get32(in + 32);
    d.reserved = get32(in + 36);
    if (d.magic != RT_MAGIC)
        return core_err(PRAAS_ERR_PROTOCOL, "bad magic 0x%08x in a data-plane header (want 0x%08x)",
                        (unsigned)d.magic, (unsigned)RT_MAGIC);
    if (!rt_msg_valid(d.type))
        return core_err(PRAAS_ERR_PROTOCOL, "unknown data-plane message type %u", (unsigned)d.type);
    /* Requests (odd types) carry no flags; replies only the known ones. */
    if ((d.flags & ~RT_FLAGS_KNOWN) || (d.flags && (d.type & 1)))
        return core_err(PRAAS_ERR_PROTOCOL, "reserved flags 0x%04x set in a %s header",
                        (unsigned)d.flags, rt_msg_name(d.type));
    if (d.reserved != 0)
        return core_err(PRAAS_ERR_PROTOCOL, "reserved field 0x%08x set in a %s header",
                        (unsigned)d.reserved, rt_msg_name(d.type));
    if (d.name_len > RT_NAME_MAX)
        return core_err(PRAAS_ERR_PROTOCOL, "name length %u of a %s is over the limit of %d",
                        (unsigned)d.name_len, rt_msg_name(d.type), RT_NAME_MAX);
    if (d.meta_len > RT_META_MAX)
        return core_err(PRAAS_ERR_PROTOCOL, "meta length %u of a %s is over the limit of %u",
                        (unsigned)d.meta_len, rt_msg_name(d.type), RT_META_MAX);
    if (d.payload_len > RT_PAYLOAD_MAX)
        return core_err(PRAAS_ERR_PROTOCOL,
                        "payload length %llu of a %s is over the limit of %llu",
                        (unsigned long long)d.payload_len, rt_msg_name(d.type),
                        (unsigned long long)RT_PAYLOAD_MAX);
    *h = d;
    return 0;
}

int rt_io_wait_readable(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n;

    do {
        n = poll(&p, 1, timeout_ms);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return core_err(PRAAS_ERR_PEER, "poll on a data-plane socket: %s", strerror(errno));
    if (n == 0)
        return core_err(PRAAS_ERR_TIMEOUT, "no data on a data-plane socket for %d ms",
                        timeout_ms);
    return 0;
}

/* Poll fd with non-blocking recv (flags added) for up to spin_ns from t0,
 * giving the core to any thread that waits for it between tries (the peer
 * we wait for, on a busy machine): what the last recv returned; -1 with
 * errno EAGAIN when the time ran out. */
static ssize_t spin_recv(int fd, void *buf, size_t len, int flags, long spin_ns, uint64_t t0)
{
    for (unsigned i = 1;; i++) {
        ssize_t n = recv(fd, buf, len, flags | MSG_DONTWAIT);
        if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return n;
        sched_yield();
        if ((i & 7) == 0 && core_now_ns() - t0 >= (uint64_t)spin_ns) {
            errno = EAGAIN;
            return -1;
        }
    }
}

/* Wait for more bytes of a frame that has begun to arrive (its sender is
 * at work on it): poll for up to rt_spin_ns(), then wait in poll. */
static int wait_more(int fd, int timeout_ms)
{
    long spin = rt_spin_ns();
    char c;

    if (spin > 0 && (spin_recv(fd, &c, 1, MSG_PEEK, spin, core_now_ns()) >= 0 || errno != EAGAIN))
        return 0; /* bytes, the end or an error: the next recv says which */
    return rt_io_wait_readable(fd, timeout_ms);
}

int rt_io_read(int fd, void *buf, size_t len, int timeout_ms)
{
    char *p = buf;

    while (len > 0) {
        ssize_t n = recv(fd, p, len, MSG_DONTWAIT);

        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n == 0)
            return core_err(PRAAS_ERR_PEER, "the peer closed the data-plane connection");
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return core_err(PRAAS_ERR_PEER, "reading a data-plane socket: %s", strerror(errno));
        int rc = wait_more(fd, timeout_ms);
        if (rc)
            return rc;
    }
    return 0;
}

long rt_spin_ns(void)
{
    static long spin = -1;
    long v = __atomic_load_n(&spin, __ATOMIC_RELAXED);

    if (v < 0) {
        const char *e = getenv("PRAAS_DP_SPIN_US");
        char *end;
        long us = e && *e ? strtol(e, &end, 10) : RT_SPIN_US_DEFAULT;
        if (e && *e && (*end || us < 0 || us > 10000)) {
            core_log(CORE_LOG_WARN, "PRAAS_DP_SPIN_US='%s' is not 0 to 10000; using %d", e,
                     RT_SPIN_US_DEFAULT);
            us = RT_SPIN_US_DEFAULT;
        }
        v = us * 1000;
        __atomic_store_n(&spin, v, __ATOMIC_RELAXED);
    }
    return v;
}

int rt_rbuf_fill(int fd, struct rt_rbuf *rb, size_t need, int first_ms, int timeout_ms)
{
    if (rb->end - rb->pos >= need)
        return 0;
    if (need > rb->cap)
        return core_err(PRAAS_ERR_INTERNAL, "%zu bytes do not fit a staging buffer of %zu",
                        need, rb->cap);
    if (rb->pos == rb->end) {
        rb->pos = rb->end = 0;
    } else if (rb->cap - rb->pos < need) {
        memmove(rb->buf, rb->buf + rb->pos, rb->end - rb->pos);
        rb->end -= rb->pos;
        rb->pos = 0;
    }
    /* A first byte, awaited with polling first while the traffic is dense
     * (struct rt_rbuf); t0 times the wait that decides the next one. */
    uint64_t t0 = rb->pos == rb->end && rb->spin_ns > 0 && first_ms != 0 ? core_now_ns() : 0;
    int polled = t0 && rb->spin_off % RT_SPIN_PROBE == 0;
    if (polled) {
        /* The end of the stream or an error: the recv below reports it. */
        ssize_t n = spin_recv(fd, rb->buf + rb->end, rb->cap - rb->end, 0, rb->spin_ns, t0);
        if (n > 0) {
            rb->end += (size_t)n;
            t0 = 0;
        }
    }
    while (rb->end - rb->pos < need) {
        /* A frame's first byte is rarely there yet (the peer is still at
         * work): with no bound, wait in recv itself; with one, poll first.
         * Within a frame, try recv first. */
        int flags = MSG_DONTWAIT, blocking = 0;
        if (rb->pos == rb->end &&
            (first_ms < 0 || (rb->slice_ms > 0 && first_ms >= rb->slice_ms))) {
            flags = 0;
            blocking = 1;
        } else if (rb->pos == rb->end && first_ms > 0) {
            int rc = rt_io_wait_readable(fd, first_ms);
            if (rc)
                return rc;
        }
        ssize_t n = recv(fd, rb->buf + rb->end, rb->cap - rb->end, flags);
        if (n > 0) {
            rb->end += (size_t)n;
            continue;
        }
        if (n == 0)
            return core_err(PRAAS_ERR_PEER, "the peer closed the data-plane connection");
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return core_err(PRAAS_ERR_PEER, "reading a data-plane socket: %s", strerror(errno));
        if (blocking && rb->slice_ms > 0) {
            if (first_ms < 0)
                continue;
            return core_err(PRAAS_ERR_TIMEOUT, "no data on a data-plane socket for %d ms",
                            rb->slice_ms);
        }
        int rc = rb->pos == rb->end ? rt_io_wait_readable(fd, first_ms)
                                    : wait_more(fd, timeout_ms);
        if (rc)
            return rc;
    }
    if (t0) {
        /* Polled in vain: off. Slept: a wait that a poll would (nearly)
         * have caught turns it on; the allowance covers the sleep and
         * wake-up that lengthened it, and the probes every RT_SPIN_PROBE
         * waits let a connection whose waits only look long because it
         * sleeps find out. */
        uint64_t waited = core_now_ns() - t0;
        if (polled)
            rb->spin_off = 1;
        else if (waited <= 2 * (uint64_t)rb->spin_ns)
            rb->spin_off = 0;
        else
            rb->spin_off = rb->spin_off % RT_SPIN_PROBE + 1;
    }
    return 0;
}

int rt_rbuf_read(int fd, struct rt_rbuf *rb, void *dst, size_t len, int timeout_ms)
{
    size_t k = PRAAS_MIN(len, rb->end - rb->pos);
    int rc;

    memcpy(dst, rb->buf + rb->pos, k);
    rb->pos += k;
    len -= k;
    if (!len)
        return 0;
    if (len > rb->cap / 2)
        return rt_io_read(fd, (char *)dst + k, len, timeout_ms);
    rc = rt_rbuf_fill(fd, rb, len, timeout_ms, timeout_ms);
    if (rc)
        return rc;
    memcpy((char *)dst + k, rb->buf + rb->pos, len);
    rb->pos += len;
    return 0;
}

int rt_rbuf_skip(int fd, struct rt_rbuf *rb, uint64_t len, int timeout_ms)
{
    size_t k = (size_t)PRAAS_MIN(len, (uint64_t)(rb->end - rb->pos));

    rb->pos += k;
    return rt_io_skip(fd, len - k, timeout_ms);
}

int rt_io_skip(int fd, uint64_t len, int timeout_ms)
{
    char scratch[16384];

    while (len > 0) {
        size_t n = (size_t)PRAAS_MIN(len, (uint64_t)sizeof(scratch));
        int rc = rt_io_read(fd, scratch, n, timeout_ms);
        if (rc)
            return rc;
        len -= n;
    }
    return 0;
}

int rt_io_writev(int fd, struct iovec *iov, int iovcnt, int timeout_ms)
{
    struct msghdr mh;

    while (iovcnt > 0) {
        if (iov->iov_len == 0) {
            iov++;
            iovcnt--;
            continue;
        }
        memset(&mh, 0, sizeof(mh));
        mh.msg_iov = iov;
        mh.msg_iovlen = (size_t)PRAAS_MIN(iovcnt, 1024);
        ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return core_err(PRAAS_ERR_PEER, "writing a data-plane socket: %s",
                                strerror(errno));
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int k;
            do {
                k = poll(&p, 1, timeout_ms);
            } while (k < 0 && errno == EINTR);
            if (k < 0)
                return core_err(PRAAS_ERR_PEER, "poll on a data-plane socket: %s",
                                strerror(errno));
            if (k == 0)
                return core_err(PRAAS_ERR_TIMEOUT,
                                "the peer took no data-plane bytes for %d ms", timeout_ms);
            continue;
        }
        size_t left = (size_t)n;
        while (iovcnt > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            iov++;
            iovcnt--;
        }
        if (iovcnt > 0) {
            iov->iov_base = (char *)iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
    return 0;
}

int rt_frame_send_raw(int fd, struct rt_hdr *h, const char *name, const char *meta,
                      size_t meta_len, const void *payload, size_t payload_len, int timeout_ms)
{
    unsigned char hdr[RT_HDR_SIZE];
    size_t name_len = name ? strlen(name) : 0;
    struct iovec iov[4];

    if (name_len > RT_NAME_MAX)
        return core_err(PRAAS_ERR_INVALID, "name '%.40s...' is %zu bytes, over the limit of %d",
                        name, name_len, RT_NAME_MAX);
    if ((uint64_t)payload_len > RT_PAYLOAD_MAX)
        return core_err(PRAAS_ERR_INVALID, "payload of %zu bytes is over the limit of %llu",
                        payload_len, (unsigned long long)RT_PAYLOAD_MAX);
    if (meta_len > RT_META_MAX)
        return core_err(PRAAS_ERR_INVALID, "meta section of %zu bytes is over the limit of %u",
                        meta_len, RT_META_MAX);
    h->magic = RT_MAGIC;
    h->flags &= RT_FLAGS_KNOWN;
    h->reserved = 0;
    h->name_len = (uint32_t)name_len;
    h->meta_len = (uint32_t)meta_len;
    h->payload_len = payload_len;
    if (RT_HDR_SIZE + name_len + meta_len + payload_len <= RT_COALESCE_MAX) {
        /* A small frame is copied into one buffer: for the kernel one
         * segment of one piece is cheaper than gathering four. */
        unsigned char one[RT_COALESCE_MAX], *p = one + RT_HDR_SIZE;
        rt_hdr_encode(h, one);
        if (name_len)
            memcpy(p, name, name_len);
        p += name_len;
        if (meta_len)
            memcpy(p, meta, meta_len);
        p += meta_len;
        if (payload_len)
            memcpy(p, payload, payload_len);
        p += payload_len;
        iov[0] = (struct iovec){one, (size_t)(p - one)};
        return rt_io_writev(fd, iov, 1, timeout_ms);
    }
    rt_hdr_encode(h, hdr);
    iov[0] = (struct iovec){hdr, RT_HDR_SIZE};
    iov[1] = (struct iovec){(void *)name, name_len};
    iov[2] = (struct iovec){(void *)meta, meta_len};
    iov[3] = (struct iovec){(void *)payload, payload_len};
    return rt_io_writev(fd, iov, 4, timeout_ms);
}

int rt_frame_send(int fd, struct rt_hdr *h, const char *name, json_t *meta,
                  const void *payload, size_t payload_len, int timeout_ms)
{
    char *m = NULL;
    size_t meta_len = 0;
    int rc;

    if (meta) {
        m = json_dumps(meta, JSON_COMPACT);
        if (!m)
            return core_err(PRAAS_ERR_NOMEM, "serializing a %s meta section",
                            rt_msg_name(h->type));
        meta_len = strlen(m);
    }
    rc = rt_frame_send_raw(fd, h, name, m, meta_len, payload, payload_len, timeout_ms);
    free(m);
    return rc;
}

int rt_meta_parse(const char *buf, size_t len, json_t **meta_p)
{
    json_error_t jerr;
    json_t *j;

    if (len == 0) {
        *meta_p = NULL;
        return 0;
    }
    j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j)
        return core_err(PRAAS_ERR_PROTOCOL, "meta section is not JSON: %s at byte %d",
                        jerr.text, jerr.position);
    if (!json_is_object(j)) {
        json_decref(j);
        return core_err(PRAAS_ERR_PROTOCOL, "meta section is JSON but not an object");
    }
    *meta_p = j;
    return 0;
}

void rt_sock_setup(int fd)
{
    int one = 1;

    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fcntl(fd, F_SETFD, FD_CLOEXEC);
}
