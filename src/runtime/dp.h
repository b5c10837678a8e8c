/*
 * The data plane: the wire between a client (or the control plane) and a
 * subprocess (praas-process) that hosts sessions. DESIGN.md decision 7.
 *
 * Transport: one TCP stream per connection, always opened by the client,
 * so that a client behind NAT can invoke; replies travel back on the same
 * stream. (The RMA transports' address-blob connections would need the
 * subprocess to connect back to the client for replies; see doc/invoke.md.)
 * The payload of an invocation ends in the session's registered memory
 * (the part a reader's staging buffer already holds is copied, a large
 * rest is received straight into it), and the result is sent straight
 * from it.
 *
 * Framing: every message is a fixed 40-byte little-endian header
 * (struct rt_hdr) followed by three sections whose lengths the header
 * gives: name (name_len bytes, no NUL), meta (meta_len bytes of a JSON
 * object, or nothing), payload (payload_len bytes). A decoder checks the
 * magic, the type and every length against the limits below before it
 * uses a byte past the header (readers stage what the socket has, which
 * may include the next frame; see wire.h).
 *
 * Requests carry an id (the invocation id for RT_MSG_INVOKE, a request
 * number otherwise) that the reply repeats; replies to invocations may come
 * back in any order, so one connection carries many invocations at once.
 */
#ifndef PRAAS_RUNTIME_DP_H
#define PRAAS_RUNTIME_DP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define RT_MAGIC 0x31445250u /* "PRD1" */
#define RT_HDR_SIZE 40
#define RT_NAME_MAX 256               /* session ids, function names */
#define RT_META_MAX (64u * 1024)      /* JSON meta section */
#define RT_PAYLOAD_MAX (1ull << 32)   /* 4 GiB; a session's own limit is lower */

/* Message types. Requests are odd, their replies are request + 1. */
enum rt_msg {
    /* name: session id. Binds the connection to a session (a client's
     * first message). Reply meta: {"session", "state", "memory"}. */
    RT_MSG_HELLO = 1,
    RT_MSG_HELLO_REPLY = 2,
    /* name: function name; id: invocation id (chosen by the client,
     * unique within the session); payload: the argument.
     * meta (optional): {"deps": [ids...]  invocations that must complete
     *                                     first (FIFO pipelines),
     *                   "nargs": N         a multi-source invocation that
     *                                     starts when N arguments with this
     *                                     id have arrived,
     *                   "arg": i           this caller's argument index,
     *                   "timeout_ms": T}  give up if not started by then.
     * Reply: status, payload = the function's result, meta {"cpu_ns",
     * "wall_ns"}. */
    RT_MSG_INVOKE = 3,
    RT_MSG_RESULT = 4,
    /* Control-plane messages (sent by the control plane to a subprocess;
     * no HELLO needed). name: session id.
     * ALLOC meta: {"memory": bytes, "max_functions": N}
     * SWAP_OUT meta: {"storage": "KEY"}     -> reply meta {"bytes", "ms"}
     * SWAP_IN meta: {"storage": "KEY", "memory": bytes, "max_functions": N}
     * DELETE, METRICS (reply meta: the session's usage, see rt_usage)
     * PING (name empty; reply meta: {"sessions": [ids...], "pid"})
     * Additions (doc/invoke.md): SWAP_IN with "memory" 0 or absent takes
     * the stored size; SWAP_OUT's reply meta also has "checkpoint"
     * ("memory" or "user"); METRICS with an empty name answers
     * {"sessions": [usage...]} for every session; PING's reply also has
     * "id" (praas-process --id); SWAP_IN's reply meta is {"prefetched": true
 * when praas-process --prefetch had read the blobs, "ms"}. */
    RT_MSG_ALLOC = 5,
    RT_MSG_ALLOC_REPLY = 6,
    RT_MSG_SWAP_OUT = 7,
    RT_MSG_SWAP_OUT_REPLY = 8,
    RT_MSG_SWAP_IN = 9,
    RT_MSG_SWAP_IN_REPLY = 10,
    RT_MSG_DELETE = 11,
    RT_MSG_DELETE_REPLY = 12,
    RT_MSG_METRICS = 13,
    RT_MSG_METRICS_REPLY = 14,
    RT_MSG_PING = 15,
    RT_MSG_PING_REPLY = 16,
    RT_MSG_ERROR = 18 /* a reply to a request the server could not decode */
};

/* rt_usage: the METRICS reply's meta, a JSON object with "session",
 * "state" ("live" or "swapping"), "memory", "max_functions",
 * "invocations" (completed, failed ones included), "failures", "cpu_ns"
 * (CLOCK_THREAD_CPUTIME_ID of the function threads), "wall_ns",
 * "peak_bytes" (memory + I/O buffers at most at once), "bytes_in"
 * (payloads), "bytes_out" (results), "idle_ms" (since the last completion,
 * or since allocation), "running", "queued", "waiting". */

/* Header flags (every other bit is reserved, 0). */
enum {
    /* On a failed reply: the failure is that the connection's session is
     * not served here any more (swapped out, deleted, moved), not about
     * the request itself, so a client may look the session up again and
     * retry. A function's own error never carries it. */
    RT_FLAG_SESSION_GONE = 0x0001,
    RT_FLAGS_KNOWN = RT_FLAG_SESSION_GONE
};

struct rt_hdr {
    uint32_t magic;
    uint16_t type;
    uint16_t flags;
    uint64_t id;
    uint32_t name_len;
    uint32_t meta_len;
    uint64_t payload_len;
    int32_t status;     /* replies: 0 or a negative PRAAS_ERR_* */
    uint32_t reserved;  /* 0 */
};

/* Encode h into 40 bytes / decode and validate 40 bytes into *h:
 * PRAAS_ERR_PROTOCOL naming the bad field (magic, type, a length over its
 * limit, reserved bits). */
void rt_hdr_encode(const struct rt_hdr *h, unsigned char out[RT_HDR_SIZE]);
int rt_hdr_decode(const unsigned char in[RT_HDR_SIZE], struct rt_hdr *h);

/* ---- the client side, used by the control plane and by praas/client.h ---- */

struct rt_conn;

/* Connect to a subprocess endpoint "HOST:PORT" within timeout_ms. */
int rt_conn_open(const char *endpoint, int timeout_ms, struct rt_conn **conn_p);
/* Close: no call may be in progress on the connection (NULL is ignored). */
void rt_conn_close(struct rt_conn *conn);

/* One request and its reply (thread-safe: several threads may call on one
 * connection; replies are matched by id). meta may be NULL (borrowed).
 * On a reply with status 0 returns 0 and hands over the reply's meta (new
 * reference, or NULL) and payload (malloc'd, or NULL when empty); on a
 * reply with a failure status returns that status with the server's message
 * recorded (praas_errmsg()). PRAAS_ERR_TIMEOUT when no reply came within
 * timeout_ms (the connection stays usable; a late reply is dropped),
 * PRAAS_ERR_PEER when the connection broke. */
int rt_conn_call(struct rt_conn *conn, enum rt_msg type, uint64_t id, const char *name,
                 json_t *meta, const void *payload, size_t payload_len, int timeout_ms,
                 json_t **reply_meta_p, void **reply_payload_p, size_t *reply_len_p);

/* rt_conn_call with the meta sections as JSON text, for the invocation
 * path, which needs no JSON object either way: meta (meta_len bytes, or
 * NULL and 0) is sent as it is; a successful reply's meta section is
 * copied NUL-terminated into rmeta (rmeta_cap bytes, cut if longer; ""
 * when the reply has none) when rmeta is not NULL, for rt_meta_u64. */
int rt_conn_call_text(struct rt_conn *conn, enum rt_msg type, uint64_t id, const char *name,
                      const char *meta, size_t meta_len, const void *payload,
                      size_t payload_len, int timeout_ms, char *rmeta, size_t rmeta_cap,
                      void **reply_payload_p, size_t *reply_len_p);

/* The unsigned integer member key of a meta section's text (a JSON
 * object): 1 with *v_p set, 0 when the object has no such member (or it is
 * not an integer in 0..INT64_MAX; an empty text has no members),
 * PRAAS_ERR_PROTOCOL when the text is not a JSON object. A flat object of
 * such integers, as praas-process writes, is scanned directly; any other
 * text is parsed. */
int rt_meta_u64(const char *meta, const char *key, uint64_t *v_p);

/* Whether the last rt_conn_call(_text) of this thread failed with a reply that
 * carried RT_FLAG_SESSION_GONE (0 after a success, a broken connection or
 * a timeout). */
int rt_conn_session_gone(void);

/* Control-plane helpers over rt_conn_call (name = session id). */
int rt_sub_alloc(struct rt_conn *c, const char *sid, size_t memory, int max_functions,
                 int timeout_ms);
int rt_sub_swap_out(struct rt_conn *c, const char *sid, const char *storage_key,
                    int timeout_ms, json_t **reply_p);
int rt_sub_swap_in(struct rt_conn *c, const char *sid, const char *storage_key,
                   size_t memory, int max_functions, int timeout_ms);
int rt_sub_delete(struct rt_conn *c, const char *sid, int timeout_ms);
int rt_sub_metrics(struct rt_conn *c, const char *sid, int timeout_ms, json_t **usage_p);
int rt_sub_ping(struct rt_conn *c, int timeout_ms, json_t **reply_p);

#endif /* PRAAS_RUNTIME_DP_H */
