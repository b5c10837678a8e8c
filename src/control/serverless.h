/*
 * Serverless processes and sessions in the control plane (doc/control-api.md,
 * "Serverless processes and sessions"): the session operations
 * (sessions.c), set-up, usage and the sweeper (sweeper.c) over the executor
 * (executor.c), and their HTTP routes (serverless.c).
 *
 * Store keys, beside those of routes.h:
 *   praas:session:<sid>          a serverless session's record (sessions.c)
 *   praas:proc:<id>:sl           set of the process's serverless session ids
 *   praas:proc:<id>:usage        usage of its deleted sessions, and the
 *                                number of invocations through this plane
 */
#ifndef PRAAS_CONTROL_SERVERLESS_H
#define PRAAS_CONTROL_SERVERLESS_H

#include <jansson.h>
#include <stdint.h>

#include "control/server.h"

/* Defaults of the options in praas_control_opts_t. */
#define CP_MAX_PAYLOAD_DEFAULT (64u << 20)
#define CP_SESSIONS_PER_SUB_DEFAULT 16
#define CP_GRACE_MS_DEFAULT 2000
#define CP_START_TIMEOUT_MS 15000
/* Pinging subprocesses (a hung one is killed): the interval by default, the
 * timeout of one ping (at least CP_PING_TIMEOUT_MIN_MS, else twice the
 * interval), the misses in a row that make one hung. */
#define CP_PING_INTERVAL_MS_DEFAULT 2000
#define CP_PING_TIMEOUT_MIN_MS 1000
#define CP_PING_MISSES 3
/* A graceful stop swaps live sessions out within this much time. */
#define CP_STOP_SWAP_MS 8000
/* Subprocess requests other than invocations (alloc, swap, metrics). */
#define CP_SUB_TIMEOUT_MS 120000
/* A usage query (the sweeper's, GET .../metrics). */
#define CP_METRICS_TIMEOUT_MS 10000
/* An invocation without timeout_ms. */
#define CP_INVOKE_TIMEOUT_MS 300000
/* Limits of a process without "limits" (doc/control-api.md). */
#define CP_SESSION_MEMORY_DEFAULT (1ull << 30)
#define CP_MAX_FUNCTIONS_DEFAULT 4
#define CP_MEMORY_INCREMENT_DEFAULT (1ull << 20)
/* Invocation ids the control plane makes have this bit set; a client picks
 * its own below it. */
#define CP_INVOCATION_ID_BIT (1ull << 62)

struct cp_sl;

/* Set up ctl->sl from the options (no subprocess starts yet; the sweeper
 * thread does). Returns 0 or a PRAAS_ERR_* naming a bad option. */
int cp_sl_start(struct praas_control *ctl, const praas_control_opts_t *opts);
/* Stop the sweeper and kill the subprocesses (calls in flight fail). */
void cp_sl_kill(struct praas_control *ctl);
/* Free what is left; no request may be in flight. */
void cp_sl_free(struct praas_control *ctl);

/* Non-zero if the path takes a raw (application/octet-stream) body, whose
 * limit is max_payload rather than max_body. */
int cp_route_is_raw(const char *path);

/* ---- used by routes.c ---- */

/* Check the serverless fields of a process being created ("library",
 * "limits") and copy them into its record rec. A "library" that is not an
 * absolute path names an uploaded library (libraries.h): rec then holds
 * its path in "library" and the name in "library_name". Returns 0, or -1
 * after answering 400. */
int cp_sl_proc_fields(struct praas_control *ctl, struct cp_reply *rep, json_t *body,
                      json_t *rec);

/* POST /v1/processes/{id}/sessions without a rank: allocate a session.
 * body is the parsed request (borrowed). */
int cp_sl_route_alloc(struct praas_control *ctl, const char *id, json_t *body,
                      struct cp_reply *rep);

/* Append a row {"id", "state", "memory", "subprocess"?, "endpoint"?} per
 * serverless session of process id to table. Returns 0 or -1 (answered). */
int cp_sl_list_rows(struct praas_control *ctl, const char *id, json_t *table,
                    struct cp_reply *rep);

/* Process id is being deleted: delete its serverless sessions (live ones in
 * their subprocesses, swapped ones in storage). */
void cp_sl_proc_deleted(struct praas_control *ctl, const char *id);

/* /v1/sessions/... */
void cp_sl_route_sessions(struct praas_control *ctl, const struct cp_request *req,
                          struct cp_reply *rep);
/* /v1/processes/{id}/invoke/{fn} and /v1/processes/{id}/metrics; rest
 * starts with "/invoke/" or is "/metrics". */
int cp_sl_route_proc(struct praas_control *ctl, const struct cp_request *req, const char *id,
                     const char *rest, struct cp_reply *rep);

/* ---- the view of a serverless process (views.c, for members.c) ----
 *
 * Its members are its subprocesses, each a rank that joined it
 * (doc/invoke.md, "The praas API in functions"). */

/* Announce the join of rank into process id's view if the view has no
 * member and no change pending (the record, absent, is made empty first):
 * the route refuses a change that no member would acknowledge, so this
 * writes the pending change itself. Returns 1 when it did, 0 when the view
 * has members or a change pending (announce through the route), or a
 * store error. */
int cp_view_sl_first_join(struct praas_control *ctl, const char *id, json_int_t rank);
/* Bump the "gen" of process id's view record if rank is joining, so that
 * members waiting in a long poll look again (the joiner registered).
 * Returns 0 or a store error. */
int cp_view_sl_touch(struct praas_control *ctl, const char *id, json_int_t rank);

/* ---- between serverless.c and sessions.c ---- */

/* A loaded session record (rec owned). */
struct cp_sess {
    json_t *rec;
    char sid[72];
    const char *proc;   /* in rec */
    const char *state;  /* "live", "swapped", "lost", or "rank" for a rank */
};

/* Invocation options read from the query string. */
struct cp_inv_opts {
    uint64_t id;
    json_t *meta; /* {"deps", "nargs", "arg", "timeout_ms"} or NULL; owned */
    int timeout_ms;
};

/* Each takes the session's lock, answers rep on failure (-1) and leaves
 * rep alone on success (0), except as noted. */
int cp_sl_alloc(struct praas_control *ctl, const char *proc, json_int_t memory,
                char sid_out[24], struct cp_reply *rep);
int cp_sl_view(struct praas_control *ctl, const char *sid, struct cp_reply *rep,
               json_t **view_p);
int cp_sl_delete(struct praas_control *ctl, const char *sid, struct cp_reply *rep);
int cp_sl_swap_out(struct praas_control *ctl, const char *sid, struct cp_reply *rep);
int cp_sl_retrieve(struct praas_control *ctl, const char *sid, struct cp_reply *rep);
/* Invoke fn in session sid with payload; on success answers rep with the
 * raw result and the X-Praas-* headers. */
int cp_sl_invoke(struct praas_control *ctl, const char *sid, const char *fn,
                 const void *payload, size_t len, struct cp_inv_opts *io,
                 struct cp_reply *rep);
int cp_sl_session_metrics(struct praas_control *ctl, const char *sid, struct cp_reply *rep,
                          json_t **usage_p);
int cp_sl_proc_metrics(struct praas_control *ctl, const char *proc, struct cp_reply *rep,
                       json_t **usage_p);

#endif /* PRAAS_CONTROL_SERVERLESS_H */
