/*
 * Data-plane wire helpers shared by the client (dp_client.c) and the
 * server (server.c): exact reads and gathered writes on a stream socket
 * with timeouts, and the sections of a frame (dp.h).
 *
 * All calls return 0 or a negative PRAAS_ERR_* with a message naming the
 * cause: PRAAS_ERR_PEER when the peer closed or the socket failed,
 * PRAAS_ERR_TIMEOUT when no byte moved for timeout_ms (the stream is then
 * in an unknown place in a frame and must be closed), PRAAS_ERR_PROTOCOL
 * for a bad header or meta section.
 */
#ifndef PRAAS_RUNTIME_WIRE_H
#define PRAAS_RUNTIME_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "runtime/dp.h"

/* How long a frame may stall once its first byte arrived, and a write may
 * make no progress (milliseconds). */
#define RT_IO_TIMEOUT_MS 30000

/* Whether type is one of enum rt_msg. */
int rt_msg_valid(unsigned type);

/* A short name for a message type ("INVOKE"), "?" for unknown ones. */
const char *rt_msg_name(unsigned type);

/* Read exactly len bytes; timeout_ms bounds each wait for more bytes
 * (< 0: no bound). */
int rt_io_read(int fd, void *buf, size_t len, int timeout_ms);

/* Read and drop len bytes (a payload nobody wants). */
int rt_io_skip(int fd, uint64_t len, int timeout_ms);

/* Write every byte of iov[0..iovcnt) (iov is modified). */
int rt_io_writev(int fd, struct iovec *iov, int iovcnt, int timeout_ms);

/* Wait until fd is readable: 0, PRAAS_ERR_TIMEOUT after timeout_ms,
 * PRAAS_ERR_PEER on a socket error. */
int rt_io_wait_readable(int fd, int timeout_ms);

/* Frames up to this size are sent from one buffer they are copied into;
 * larger ones gathered from their pieces (no copy of the payload). */
#define RT_COALESCE_MAX 4096

/* Send one frame: the header h (lengths taken from the arguments), then
 * name, meta (serialized compactly, or nothing for NULL) and payload in one
 * write (gathered, or copied into one buffer first when at most
 * RT_COALESCE_MAX bytes). */
int rt_frame_send(int fd, struct rt_hdr *h, const char *name, json_t *meta,
                  const void *payload, size_t payload_len, int timeout_ms);

/* The same with the meta section already serialized (meta_len bytes of
 * JSON text, or NULL and 0 for none). */
int rt_frame_send_raw(int fd, struct rt_hdr *h, const char *name, const char *meta,
                      size_t meta_len, const void *payload, size_t payload_len, int timeout_ms);

/* Parse a meta section: NULL for an empty one, else a JSON object.
 * PRAAS_ERR_PROTOCOL naming the problem otherwise. */
int rt_meta_parse(const char *buf, size_t len, json_t **meta_p);

/* A reader's staging buffer: one recv takes as much as the socket has (a
 * whole small frame, often), and frames are parsed from it; bytes of a
 * next frame may stay buffered. Unconsumed bytes are buf[pos..end). */
struct rt_rbuf {
    unsigned char *buf;
    size_t cap, pos, end;
    /* > 0: the socket has SO_RCVTIMEO of slice_ms, and a wait for a first
     * byte of at least that long is a blocking recv (one system call, where
     * poll and recv are two), which returns PRAAS_ERR_TIMEOUT after a slice
     * with nothing, possibly before first_ms: the caller waits again. */
    int slice_ms;
    /* > 0: before it sleeps for a frame's first byte, the reader polls the
     * socket (non-blocking recv, yielding the core between tries) for up
     * to spin_ns (rt_spin_ns()), but only while the traffic is dense. A
     * poll in vain turns polling off (spin_off > 0: the sleeping waits
     * since, modulo RT_SPIN_PROBE); while off, a wait that took at most
     * 2 spin_ns turns it back on, and every RT_SPIN_PROBE-th wait polls
     * anyway (a probe: waits that sleep are longer by the sleep and the
     * wake-up, so a busy connection must not judge itself by them alone).
     * A busy connection answers without a sleep and a wake-up on either
     * side; an idle one costs a poll every RT_SPIN_PROBE requests. */
    long spin_ns;
    int spin_off;
};

/* The data plane's polling time before a reader sleeps, in nanoseconds:
 * PRAAS_DP_SPIN_US (microseconds, 0 to 10000; 0 never polls) when set,
 * else RT_SPIN_US_DEFAULT. Read once per process. */
#define RT_SPIN_US_DEFAULT 20
#define RT_SPIN_PROBE 32
long rt_spin_ns(void);

/* Have at least need (<= cap) bytes buffered. first_ms bounds the wait
 * while nothing is buffered (the first byte of a frame; < 0: no bound,
 * then the wait is a blocking recv, one system call), timeout_ms every
 * later wait; within a frame recv comes first and poll only when the
 * socket has nothing. */
int rt_rbuf_fill(int fd, struct rt_rbuf *rb, size_t need, int first_ms, int timeout_ms);

/* Exactly len bytes into dst: the buffered ones, then from the socket (a
 * rest over cap / 2 straight into dst, a smaller one through the buffer,
 * a copy being cheaper than a system call). */
int rt_rbuf_read(int fd, struct rt_rbuf *rb, void *dst, size_t len, int timeout_ms);

/* Read and drop len bytes, the buffered ones first. */
int rt_rbuf_skip(int fd, struct rt_rbuf *rb, uint64_t len, int timeout_ms);

/* TCP_NODELAY and close-on-exec on a connected socket. */
void rt_sock_setup(int fd);

#endif /* PRAAS_RUNTIME_WIRE_H */
