/*
 * The session runtime inside praas-process: the data-plane server
 * (server.c), sessions and their invocations (session.c), swapping
 * (swap.c) and the API functions call (function.c). doc/invoke.md
 * describes the protocol and the behaviour; this header the pieces.
 *
 * Threads. The accept loop runs in the caller of rt_server_run. Each
 * connection has a thread that reads its frames (so a slow or dead client
 * stalls nobody else) and answers everything itself, including an
 * invocation that can start at once (rt_sess_submit). Each session has up
 * to max_functions function threads, started on demand, that run
 * invocations from its ready queue and send their results; at most
 * max_functions invocations of a session run at once, in readers and
 * function threads together. A reaper thread fails invocations whose
 * timeout passed before they started, hands a connection whose reader
 * is running a function to a new reader when a next frame waits, and reads
 * the CPU clock of a thread whose function is still running after a tick
 * (rt_sconn_inline_end: a short function costs no CPU-clock read).
 *
 * Locks, in the order they may be taken: srv->lock, then a session's
 * lock, then a connection's write lock. Replies are sent with no session
 * lock held.
 *
 * Lifetimes are reference counts: a session is held by the server's table,
 * by each of its function threads and by each of its invocations; a
 * connection by its reader thread and by each invocation argument still to
 * be answered on it. The last reference frees.
 */
#ifndef PRAAS_RUNTIME_RT_H
#define PRAAS_RUNTIME_RT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <praas/session.h>

#include "core/common.h"

#include "runtime/dp.h"
#include "runtime/wire.h"
#include "storage/storage.h"
#include "transport/transport.h"

/* ---- the server (server.c), what praas-process uses ---- */

/* The whole praas-process command (process_main.c): options, praas_init,
 * serve until a signal. Exported from libpraas, though not part of the
 * API, for launcher/praas-process.c, which links the shared library so
 * that the functions it loads share the one copy of praas it initialized.
 * Returns the command's exit status. */
PRAAS_API int praas_process_main(int argc, char **argv);

struct rt_server;

struct rt_server_opts {
    const char *library;   /* the function library (dlopen), or NULL for none */
    const char *storage;   /* storage URL, NULL for st_open(NULL)'s default */
    int max_functions;     /* per session when ALLOC does not say (default 4) */
    uint64_t max_payload;  /* largest payload or result (default 1 GiB) */
    const char *id;        /* a name for messages and PING (default "praas-process") */
    int io_timeout_ms;     /* a stalled frame or reply (default RT_IO_TIMEOUT_MS) */
    struct rt_prefetch *prefetch; /* --prefetch (borrowed; outlives the server), or NULL */
};

/* ---- prefetching swapped sessions (prefetch.c; praas-process --prefetch) ---- */

struct rt_prefetch;

/* Start one thread that reads, for each key prefix K of keys, the blobs
 * K/meta and K/memory (swap.c's layout) from the storage URL (NULL: the
 * default) into memory, in order. Failures are not returned: a key whose
 * read failed is logged and later read by its SWAP_IN as usual. Returns 0,
 * or PRAAS_ERR_NOMEM. */
int rt_prefetch_start(const char *storage, const char *const *keys, int nkeys,
                      struct rt_prefetch **pf_p);
/* Take the prefetched blobs of key prefix key (the caller frees both):
 * returns 1 with them, waiting for a read in flight (bounded), or 0 when
 * key was not prefetched, its read failed or it was taken already (the
 * caller reads storage). A key is taken at most once. pf may be NULL. */
int rt_prefetch_take(struct rt_prefetch *pf, const char *key, void **meta_p, size_t *meta_len_p,
                     void **mem_p, size_t *mem_len_p);
/* Wait for the thread (bounded by the storage's timeouts) and free
 * everything not taken (NULL is ignored). */
void rt_prefetch_destroy(struct rt_prefetch *pf);

/* Open the library and the storage; nothing listens yet. Errors name the
 * library (dlerror) or the storage URL. */
int rt_server_create(const struct rt_server_opts *o, struct rt_server **srv_p);

/* Listen on "HOST:PORT" (port 0: any free one); the bound endpoint
 * ("127.0.0.1:40123") is written to ep (capacity cap). */
int rt_server_listen(struct rt_server *srv, const char *host_port, char *ep, size_t cap);

/* Accept and serve until rt_server_stop. Returns 0 or an error of the
 * listening socket. */
int rt_server_run(struct rt_server *srv);

/* Make rt_server_run return. Async-signal-safe (one write to a pipe). */
void rt_server_stop(struct rt_server *srv);

/* Serve one already-connected stream (fd becomes the server's) in the
 * calling thread until the peer closes it or sends a bad frame; for
 * in-process tests. Invocations it starts may still be running when it
 * returns. */
void rt_server_serve_fd(struct rt_server *srv, int fd);

/* Shut down: cancel invocations that have not started, close every
 * connection, wait up to grace_ms for running functions, free everything.
 * Returns 0, or PRAAS_ERR_TIMEOUT if functions were still running (then
 * the server is left allocated, for the process to exit over it). */
int rt_server_destroy(struct rt_server *srv, int grace_ms);

/* ---- internals shared by the files of src/runtime ---- */

enum rt_sess_state { RT_SESS_LIVE, RT_SESS_SWAPPING, RT_SESS_GONE };
enum rt_inv_state { RT_INV_WAIT_ARGS, RT_INV_WAIT_DEPS, RT_INV_READY, RT_INV_RUNNING };

/* A server-side connection. */
struct rt_sconn {
    struct rt_server *srv;
    int fd;
    atomic_int refs;
    pthread_mutex_t wlock;     /* one frame at a time */
    char sid[RT_NAME_MAX + 1]; /* the session HELLO bound, or "" */
    struct rt_sconn *next, *prev; /* srv->conns */
    /* Running an invocation in the reader (rt_sess_submit). can_inline:
     * set by the reader for the frame at hand (a threaded reader with no
     * byte of a next frame buffered); threaded: read by conn_main. */
    int can_inline, threaded;
    struct rt_rbuf rb; /* the reader's staging buffer (wire.h) */
    /* the function the last INVOKE named (the reader only): most INVOKEs
     * on a connection name the same one */
    char fn_name[RT_NAME_MAX + 1];
    praas_function_t *fn;
};

/* An invocation running, in a connection's reader (c) or in a function
 * thread (c NULL), listed in srv->inl (srv->lock) while it runs. For a
 * reader, the reaper hands the connection's reading to a new thread when a
 * next frame waits (handed = 1), so a long function never stalls the
 * connection's other requests for more than a tick. For both, it reads the
 * running thread's CPU clock once, the first time it sees the function
 * still running (sampled, cpu0 at wall time cpu0_at): a function that ends
 * before that costs no CPU-clock read at all (rt_sconn_inline_end). Lives
 * on the running thread's stack. */
struct rt_inline {
    struct rt_sconn *c;
    pthread_t thread;
    uint64_t since, end; /* wall clock (core_now_ns) at begin and end */
    uint64_t cpu0, cpu0_at;
    int handed, sampled;
    struct rt_inline *next;
};

/* An I/O buffer of a session: payloads and results. */
struct rt_buf {
    void *base;
    size_t cap;
    struct rt_buf *next; /* free list */
};

struct rt_arg {
    struct rt_buf *buf; /* NULL for an empty payload */
    size_t len;
    struct rt_sconn *conn; /* who sent it; answered with the result */
    int present;
};

struct praas_invocation {
    struct rt_session *s;
    uint64_t id;
    char fn_name[RT_NAME_MAX + 1];
    praas_function_t *fn;
    enum rt_inv_state state;
    int nargs, nrecv;
    struct rt_arg *args; /* &arg1 when nargs is 1 */
    struct rt_arg arg1;
    uint64_t *deps;
    int ndeps;
    uint64_t deadline; /* UINT64_MAX: none */
    uint64_t end_ns;   /* when the function returned (core_now_ns) */
    struct praas_invocation *hnext;        /* session hash chain */
    struct praas_invocation *qnext, *qprev; /* waiting list or ready queue; qnext: s->inv_pool */
    /* the result */
    struct rt_buf *res_buf;
    const void *res;
    size_t res_len;
    int status;
    char msg[512];
    uint64_t cpu_ns, wall_ns;
};

struct rt_inv_list {
    struct praas_invocation *head, *tail;
    size_t n;
};

#define RT_INV_HASH 256
/* Completed ids a session remembers (for dependencies and to refuse an id
 * used twice): the most recent ones; an older id is forgotten. */
#define RT_DONE_KEEP 16384
/* Invocation structures a session keeps for reuse. */
#define RT_INV_POOL 16
#define RT_POOL_CLASSES 33 /* buffers of 2^12 .. 2^44 bytes */

struct rt_session {
    struct rt_server *srv;
    char id[RT_NAME_MAX + 1];
    atomic_int refs;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* function threads wait for work */
    enum rt_sess_state state;
    void *mem;
    size_t memory;
    tp_mr_t *mr; /* the memory's registration, when praas is initialized */
    int max_functions;
    int nthreads, idle_threads, running;
    /* invocations not yet complete, by id */
    struct praas_invocation *hash[RT_INV_HASH];
    size_t ninvs;
    struct rt_inv_list waiting; /* for arguments or dependencies, in arrival order */
    struct rt_inv_list ready;   /* first in, first out */
    /* The last RT_DONE_KEEP ids that completed, with their status: a hash
     * table (open addressing, linear probing) and the ids in completion
     * order (a ring: the oldest is forgotten first). */
    struct rt_done {
        uint64_t id;
        int32_t status;
        int32_t used;
    } *done;
    size_t done_n, done_cap;
    uint64_t *done_ring;
    size_t done_head;
    /* invocation structures kept for reuse (qnext-linked) */
    struct praas_invocation *inv_pool;
    int inv_pool_n;
    /* I/O buffers */
    struct rt_buf *pool[RT_POOL_CLASSES];
    int pool_n[RT_POOL_CLASSES];
    /* usage */
    uint64_t invocations, failures, cpu_ns, wall_ns, bytes_in, bytes_out;
    size_t bytes_now, peak_bytes;
    uint64_t last_ns, created_ns;
    struct rt_session *next; /* srv->sessions */
};

struct rt_server {
    struct rt_server_opts o;
    char id[RT_NAME_MAX + 1];
    void *lib;
    praas_checkpoint_fn_t *ck_save, *ck_restore;
    st_t *st;
    int lfd;
    int wake[2];
    pthread_mutex_t lock;
    pthread_cond_t cond; /* the reaper; shutdown waits */
    struct rt_session *sessions;
    struct rt_sconn *conns;
    int nconns, nsessions; /* objects alive (not only listed) */
    int stopping;
    uint64_t next_deadline; /* the earliest timeout of an invocation not started */
    pthread_t reaper;
    int reaper_started;
    struct rt_inline *inl; /* invocations running in a connection's reader */
    int ticking;          /* the reaper wakes every RT_INLINE_TICK_MS */
    /* function name -> pointer, so that an INVOKE does not dlsym */
    pthread_mutex_t fn_lock;
    struct rt_fn_cache {
        char name[RT_NAME_MAX + 1];
        praas_function_t *fn;
    } *fn_cache;
    size_t fn_cache_n;
};

/* session.c */
/* A new session, not yet listed (one reference: the caller's). Memory is
 * mmap'd, zero-filled and registered with the transport when praas is
 * initialized. PRAAS_ERR_INVALID naming a bad id or size, PRAAS_ERR_NOMEM. */
int rt_sess_create(struct rt_server *srv, const char *sid, size_t memory, int max_functions,
                   struct rt_session **s_p);
/* List s in the server's table; its reference becomes the table's.
 * PRAAS_ERR_EXISTS if a session with its id is listed (the reference stays
 * the caller's), PRAAS_ERR_STATE when the server is stopping. */
int rt_sess_publish(struct rt_session *s);
/* Find a listed session by id and take a reference (srv->lock not held). */
struct rt_session *rt_sess_find(struct rt_server *srv, const char *sid);
void rt_sess_ref(struct rt_session *s);
void rt_sess_unref(struct rt_session *s);
/* Take s out of the table (srv->lock held by the caller), mark it gone,
 * fail its invocations that have not started with code/why; the table's
 * reference is dropped by the caller after unlocking. */
void rt_sess_unlist_locked(struct rt_session *s, int code, const char *why,
                           struct rt_inv_list *failed);
/* tables.c (session lock held) */
/* An I/O buffer of at least len bytes (a kept one, or a new mapping). */
int rt_buf_get(struct rt_session *s, size_t len, struct rt_buf **buf_p);
/* Keep b for reuse or unmap it (NULL is ignored). */
void rt_buf_put(struct rt_session *s, struct rt_buf *b);
/* A hash of an invocation id. */
size_t rt_id_mix(uint64_t x);
/* The record of completed id, or NULL if not (or no longer) remembered. */
struct rt_done *rt_done_find(struct rt_session *s, uint64_t id);
/* Remember that id completed with status, forgetting the oldest of
 * RT_DONE_KEEP remembered. */
void rt_done_add(struct rt_session *s, uint64_t id, int status);
/* Submit one argument of invocation id (payload already in buf, which
 * the session now owns whatever happens). Replies to failures itself.
 * When the invocation is runnable at once, nothing is queued before it,
 * fewer than max_functions run and c->can_inline, it runs here, in the
 * caller (c's reader), and is answered before this returns. Returns 1 when
 * c's reading was handed to a new reader thread meanwhile (the caller must
 * stop reading c), else 0. */
int rt_sess_submit(struct rt_session *s, struct rt_sconn *c, uint64_t id, const char *fn_name,
                   praas_function_t *fn, int nargs, int argi, const uint64_t *deps, int ndeps,
                   int timeout_ms, struct rt_buf *buf, size_t len);
/* Fail invocations whose deadline passed (the reaper); returns the
 * earliest deadline left (UINT64_MAX: none). */
uint64_t rt_sess_expire(struct rt_session *s, uint64_t now);
/* Tell the reaper about a deadline (srv->lock not held). */
void rt_server_deadline(struct rt_server *srv, uint64_t deadline);
/* Reply to and free a list of failed invocations. */
void rt_inv_fail_list(struct rt_inv_list *l);
/* The usage of a session as a JSON object. */
json_t *rt_sess_usage(struct rt_session *s);
const char *rt_sess_state_name(enum rt_sess_state st);

/* server.c */
void rt_sconn_ref(struct rt_sconn *c);
void rt_sconn_unref(struct rt_sconn *c);
/* Send a reply frame on c (status 0: meta and payload; failure: meta
 * {"error": msg}). Errors are not returned: a connection that cannot take
 * a reply is shut down, and its reader sees that. */
void rt_sconn_reply(struct rt_sconn *c, unsigned type, uint64_t id, int status,
                    const char *msg, json_t *meta, const void *payload, size_t len);
/* The same with header flags (RT_FLAG_SESSION_GONE on a failure that is
 * about the connection's session, not the request). */
void rt_sconn_reply_flags(struct rt_sconn *c, unsigned type, uint64_t id, int status,
                          unsigned flags, const char *msg, json_t *meta, const void *payload,
                          size_t len);

/* Send a successful reply whose meta section is the JSON text meta
 * (meta_len bytes, already serialized). */
void rt_sconn_reply_raw(struct rt_sconn *c, unsigned type, uint64_t id, const char *meta,
                        size_t meta_len, const void *payload, size_t len);
/* Around a function run by the calling thread: list it for the reaper.
 * c is the connection whose reader runs it, or NULL in a function thread;
 * for a reader the reaper hands c's reading to a new thread when a frame
 * waits behind it. end returns 1 if it did (the caller stops reading c),
 * else 0, and the function's CPU time in *cpu_ns_p: its wall time until
 * the reaper first saw it running (about a tick, RT_INLINE_TICK_MS, later
 * than its start; so all of it for a function shorter than that), the
 * thread's CPU clock from then on. */
void rt_sconn_inline_begin(struct rt_server *srv, struct rt_sconn *c, struct rt_inline *in);
int rt_sconn_inline_end(struct rt_server *srv, struct rt_inline *in, uint64_t *cpu_ns_p);
/* The function called name in the library (cached), or NULL. */
praas_function_t *rt_fn_lookup(struct rt_server *srv, const char *name);

/* Reply with the code and the message core_err just recorded. */
void rt_sconn_reply_err(struct rt_sconn *c, unsigned type, uint64_t id, int rc);

/* The rest of a frame from c's staging buffer, then its socket: exactly
 * len bytes into dst, or dropped (the reader only). */
int rt_sconn_read(struct rt_sconn *c, void *dst, size_t len);
int rt_sconn_skip(struct rt_sconn *c, uint64_t len);

/* requests.c: answer one decoded request (its payload, for INVOKE, still
 * on the stream). Returns 0 to go on with the connection, 1 when its
 * reading went to another thread (an invocation ran in the reader), a
 * negative code to close it. */
int rt_request(struct rt_sconn *c, const struct rt_hdr *h, const char *name, json_t *meta);

/* swap.c */
int rt_swap_out(struct rt_server *srv, const char *sid, const char *key, json_t **reply_p);
/* reply_p (may be NULL): {"prefetched": true when the blobs came from
 * --prefetch, "ms": the time it took}. */
int rt_swap_in(struct rt_server *srv, const char *sid, const char *key, size_t memory,
               int max_functions, json_t **reply_p);

/* Whether s is a C identifier a function may have (not praas_*). */
int rt_fn_name_ok(const char *s);
/* Whether s is a session id: 1..RT_NAME_MAX of [A-Za-z0-9_.:-]. */
int rt_sid_ok(const char *s);

#endif /* PRAAS_RUNTIME_RT_H */
