/*
 * The praas client: deploy a function library as a process, allocate
 * sessions, invoke functions in them, swap them, read their usage.
 *
 * Control-plane calls are HTTP/JSON to praas-control (doc/control-api.md,
 * "Serverless processes and sessions"). Invocations: the first one in a
 * session goes through the control plane, which answers with the session's
 * direct endpoint; later ones go straight to the session over the data
 * plane (doc/invoke.md), the client opening the connection, so that the
 * control plane is off the path and a client behind NAT can invoke.
 *
 * A session that is gone from its endpoint (swapped out, or its subprocess
 * restarted it elsewhere) is found again through the control plane's
 * retrieve and the call is retried once; a session that is really gone
 * (lost with its subprocess, deleted) fails with PRAAS_ERR_PEER, unless the
 * client's on_gone handler moves the call to another session
 * (praas_client_set_handlers).
 *
 * Every function returns 0 or a negative PRAAS_ERR_* with a message naming
 * the cause (praas_errmsg()). A client handle may be used by several
 * threads at once; every function is thread-safe.
 */
#ifndef PRAAS_CLIENT_H
#define PRAAS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Process and session ids are at most 64 characters; with the NUL this
 * many bytes hold one. */
#define PRAAS_ID_MAX 72
#define PRAAS_ENDPOINT_MAX 80

typedef struct praas_client praas_client_t;
/* An asynchronous invocation (praas_invoke_async). */
typedef struct praas_call praas_call_t;

/* Open a client of the control plane at control_url ("http://HOST:PORT");
 * NULL uses $PRAAS_CONTROL. Nothing is sent yet. */
int praas_client_open(const char *control_url, praas_client_t **cl_p);

/* Close the client and its direct connections. No call may be in flight
 * (wait for asynchronous calls first). */
void praas_client_close(praas_client_t *cl);

/* Limits of a serverless process; 0 keeps the control plane's default. */
typedef struct praas_limits {
    size_t session_memory;   /* largest memory of one session, bytes */
    int max_functions;       /* functions running at once in one session */
    size_t memory_increment; /* session memory is a multiple of it; the default memory */
} praas_limits_t;

/* Create a process serving the functions of the shared object library (an
 * absolute path on the control plane's machine, or the name of a library
 * uploaded with praas_library_upload). id may be NULL (the
 * control plane makes one); limits may be NULL. Writes the id to id_out. */
int praas_process_create(praas_client_t *cl, const char *id, const char *library,
                         const praas_limits_t *limits, char id_out[PRAAS_ID_MAX]);

/* Delete a process with its sessions (live and swapped). */
int praas_process_delete(praas_client_t *cl, const char *process);

typedef struct praas_session_info {
    char id[PRAAS_ID_MAX];
    char process[PRAAS_ID_MAX];
    char state[16];                     /* "live", "swapped" or "lost" */
    char endpoint[PRAAS_ENDPOINT_MAX];  /* "HOST:PORT" when live, else "" */
    char storage[256];                  /* its storage key once swapped out, else "" */
    size_t memory;
    uint64_t swapped_ms;                /* time spent swapped out */
    unsigned swaps;                     /* times swapped out */
} praas_session_info_t;

/* Allocate a session of process with memory bytes (0: the process's
 * memory increment). info (may be NULL) receives its description. */
int praas_session_alloc(praas_client_t *cl, const char *process, size_t memory,
                        praas_session_info_t *info);
int praas_session_get(praas_client_t *cl, const char *session, praas_session_info_t *info);
/* The serverless sessions of a process: *list_p (malloc'd; free() it) of
 * *n_p entries. */
int praas_session_list(praas_client_t *cl, const char *process, praas_session_info_t **list_p,
                       size_t *n_p);
/* Swap a session out to storage now (a swapped one stays swapped). */
int praas_session_swap(praas_client_t *cl, const char *session, praas_session_info_t *info);
/* Make a session live, swapping it in if needed; info gets its endpoint. */
int praas_session_retrieve(praas_client_t *cl, const char *session,
                           praas_session_info_t *info);
/* Delete a session, with its swapped state in storage. */
int praas_session_delete(praas_client_t *cl, const char *session);

/* Usage, for billing. A process's usage sums its sessions', deleted ones
 * included; control_invocations counts the invocations that went through
 * the control plane (the others went straight to their sessions). */
typedef struct praas_usage {
    uint64_t invocations;
    uint64_t cpu_ns;
    uint64_t wall_ns;
    uint64_t peak_bytes;
    uint64_t bytes_in;
    uint64_t bytes_out;
    uint64_t swapped_ms;
    uint64_t control_invocations; /* process usage only */
} praas_usage_t;

int praas_session_metrics(praas_client_t *cl, const char *session, praas_usage_t *usage);
int praas_process_metrics(praas_client_t *cl, const char *process, praas_usage_t *usage);

/* Every invocation goes through the control plane (no direct connection). */
#define PRAAS_INVOKE_VIA_CONTROL 0x1u

typedef struct praas_invoke_opts {
    uint64_t id;            /* invocation id, below 2^62, unique in the session; 0: a new one */
    const uint64_t *deps;   /* invocations that must complete before this one starts */
    size_t ndeps;
    int nargs;              /* > 1: a multi-source invocation of nargs arguments ... */
    int arg;                /* ... of which this call brings argument arg (same id for all) */
    int timeout_ms;         /* give up after this long; 0: 300000; < 0: never */
    const char *process;    /* with session NULL: invoke in a new session of this process */
    size_t memory;          /* the new session's memory (0: the default) */
    unsigned flags;         /* PRAAS_INVOKE_* */
} praas_invoke_opts_t;

typedef struct praas_result {
    void *data;             /* the function's result (malloc'd; NULL when empty) */
    size_t len;
    uint64_t id;            /* the invocation id */
    char session[PRAAS_ID_MAX];
    char endpoint[PRAAS_ENDPOINT_MAX];
    int direct;             /* 1 when it went straight to the session */
    uint64_t cpu_ns, wall_ns;
} praas_result_t;

/* Free a result's data (the struct itself is the caller's). */
void praas_result_free(praas_result_t *r);

/* Invoke function in session (NULL: in a new session of opts->process)
 * with len bytes of payload, and wait for its result. opts may be NULL.
 * Errors: PRAAS_ERR_NOT_FOUND (no such function or session),
 * PRAAS_ERR_TIMEOUT (no result within timeout_ms; the session goes on),
 * PRAAS_ERR_PEER (the session is gone), unless the client's handlers
 * retried (praas_client_set_handlers), the function's own code when it
 * fails (its message in praas_errmsg()), PRAAS_ERR_CONTROL (the control
 * plane refused). result is written only on success. */
int praas_invoke(praas_client_t *cl, const char *session, const char *function,
                 const void *payload, size_t len, const praas_invoke_opts_t *opts,
                 praas_result_t *result);

/* Start the same invocation and return at once. The payload must stay
 * valid until the call completes. The invocation id is fixed at once
 * (praas_call_id), so later calls may depend on it (a retry after a
 * timeout runs under a new id: result.id). */
int praas_invoke_async(praas_client_t *cl, const char *session, const char *function,
                       const void *payload, size_t len, const praas_invoke_opts_t *opts,
                       praas_call_t **call_p);

uint64_t praas_call_id(const praas_call_t *call);

/* *done_p = 1 when the call has completed (praas_call_wait then returns at
 * once). */
int praas_call_test(praas_call_t *call, int *done_p);

/* Wait up to timeout_ms (< 0: no limit) for the call. When it completed:
 * returns its outcome as praas_invoke would, writes result on success, and
 * frees call. PRAAS_ERR_TIMEOUT when it is still running (call stays
 * valid; wait again or free it). */
int praas_call_wait(praas_call_t *call, int timeout_ms, praas_result_t *result);

/* Abandon a call: it completes in the background and its result is
 * dropped. The client must stay open until it has completed. */
void praas_call_free(praas_call_t *call);

/* ---- handlers of a timed-out invocation and of a gone session ---- */

/* What a handler answers. */
enum { PRAAS_HANDLER_FAIL = 0, PRAAS_HANDLER_RETRY = 1 };

/* An invocation makes at most this many attempts, whatever its handlers
 * answer; after the last one it fails with that attempt's error. */
#define PRAAS_HANDLER_MAX_ATTEMPTS 16

typedef struct praas_handlers {
    /* Invocation id of function got no result within its timeout_ms
     * (PRAAS_ERR_TIMEOUT from the client's wait or from the session's
     * queue) at attempt 1, 2, ...; session is "" when the call makes a new
     * session of opts->process. RETRY sends it again as a new invocation:
     * a new id (result.id names the one that answered), the same payload
     * and options, a fresh timeout. FAIL (or no handler) fails the call
     * with PRAAS_ERR_TIMEOUT. Not asked for a multi-source invocation
     * (nargs > 1: its id is shared with the other callers). */
    int (*on_timeout)(void *arg, const char *session, const char *function, uint64_t id,
                      int attempt);
    /* The invocation's session is gone for good: the control plane has no
     * such session (deleted) or reports it lost (its subprocess died while
     * it was live). The handler may write a session id into new_session
     * (e.g. one it allocated with praas_session_alloc) and return RETRY:
     * the invocation, same id, runs there without its deps (ids of the old
     * session), and result.session names it. FAIL (or no handler) fails
     * the call with the error it had (PRAAS_ERR_PEER, or NOT_FOUND for a
     * deleted session invoked through the control plane). */
    int (*on_gone)(void *arg, const char *session, const char *function, uint64_t id,
                   char new_session[PRAAS_ID_MAX]);
    void *arg;
} praas_handlers_t;

/* Install a copy of *h as the client's handlers (either function may be
 * NULL), or remove them (h NULL). Applies to praas_invoke and
 * praas_invoke_async calls that start after it. Handlers run in the
 * calling thread (an asynchronous call's own thread), with no lock of the
 * client held: they may call the client's functions. A new_session that
 * is not a session id fails the call with PRAAS_ERR_INVALID naming it. */
int praas_client_set_handlers(praas_client_t *cl, const praas_handlers_t *h);

/* ---- function libraries uploaded to the control plane ---- */

/* A library name: 1 to 64 characters of [A-Za-z0-9_.-], not starting with
 * '.'; with the NUL this many bytes hold one. */
#define PRAAS_LIBRARY_NAME_MAX 65

typedef struct praas_library_info {
    char name[PRAAS_LIBRARY_NAME_MAX];
    uint64_t size;          /* bytes */
    char sha256[65];        /* of the uploaded bytes, lowercase hex */
    char uploaded[32];      /* when, UTC, ISO 8601 ("2026-11-29T09:47:04Z") */
} praas_library_info_t;

/* Told how a transfer goes: done of total bytes sent so far (total may be
 * 0 before it is known). A non-zero return cancels the transfer
 * (PRAAS_ERR_CANCELED). Called from the calling thread. */
typedef int (*praas_progress_fn)(void *arg, uint64_t done, uint64_t total);

/* Upload len bytes of a shared object (an ELF ET_DYN of the control plane's
 * machine) as library name, replacing one of that name atomically; a
 * process is then created with praas_process_create(cl, id, name, ...).
 * progress (may be NULL) is called with arg during the transfer; info (may
 * be NULL) receives the stored description. Errors: PRAAS_ERR_INVALID (a bad
 * name, or not a shared object: the message names the cause),
 * PRAAS_ERR_RANGE (larger than the control plane's limit),
 * PRAAS_ERR_CANCELED (progress returned non-zero), PRAAS_ERR_CONTROL. */
int praas_library_upload(praas_client_t *cl, const char *name, const void *data, size_t len,
                         praas_progress_fn progress, void *arg, praas_library_info_t *info);
/* The same with the bytes of file path ("-" is stdin). PRAAS_ERR_IO when it
 * cannot be read. */
int praas_library_upload_file(praas_client_t *cl, const char *name, const char *path,
                              praas_progress_fn progress, void *arg,
                              praas_library_info_t *info);
/* The uploaded libraries sorted by name: *list_p (malloc'd, NULL when none;
 * free() it) of *n_p entries. */
int praas_library_list(praas_client_t *cl, praas_library_info_t **list_p, size_t *n_p);
/* One library's description; PRAAS_ERR_NOT_FOUND if none has that name. */
int praas_library_get(praas_client_t *cl, const char *name, praas_library_info_t *info);
/* Delete a library. PRAAS_ERR_STATE while a process uses it (delete the
 * process first), PRAAS_ERR_NOT_FOUND if there is none. */
int praas_library_delete(praas_client_t *cl, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* PRAAS_CLIENT_H */
