/*
 * What the serverless pieces of the control plane share (sessions.c, the
 * operations on one session; sweeper.c, set-up, usage and the sweeper).
 * Not for the rest of the control plane, which uses serverless.h.
 */
#ifndef PRAAS_CONTROL_SESSIONS_H
#define PRAAS_CONTROL_SESSIONS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <jansson.h>

#include "control/serverless.h"
#include "storage/storage.h"

#define CP_STRIPES 64

struct cp_exec;

struct cp_sl {
    struct praas_control *ctl;
    struct cp_exec *ex;
    char *storage_url;
    st_t *st;                 /* opened at the first deletion of a swapped state */
    pthread_mutex_t st_lock;
    /* The locks of sessions and of processes' usage records, striped by
     * the id's hash (two arrays, so that one thread may hold a session's
     * and a process's lock at once). */
    pthread_mutex_t sess_locks[CP_STRIPES];
    pthread_mutex_t proc_locks[CP_STRIPES];
    int idle_swap_ms;
    int sweep_timeout_ms;     /* of the sweeper's usage queries */
    /* The sweeper thread; lock and cond wake it to stop. */
    pthread_t sweeper;
    int sweeper_on;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;
    int killed;               /* cp_sl_kill ran */
    atomic_uint_fast64_t next_inv;
};

uint64_t cp_unix_ms(void);
pthread_mutex_t *cp_sess_lock(struct cp_sl *sl, const char *sid);
pthread_mutex_t *cp_proc_lock(struct cp_sl *sl, const char *proc);
/* The integer field k of o, 0 when absent. */
json_int_t cp_jint(json_t *o, const char *k);

/* Usage objects: acc += u (u may be NULL); a zero one (new reference). */
void cp_usage_add(json_t *acc, json_t *u);
json_t *cp_usage_zero(void);
/* Add u and swapped_ms to process proc's record of deleted sessions;
 * count cp_invocations invocations through the control plane and deleted
 * deleted sessions. */
void cp_proc_usage_add(struct cp_sl *sl, const char *proc, json_t *u, json_int_t swapped_ms,
                       int cp_invocations, int deleted);

/* Session records (sessions.c). The caller holds the session's lock for
 * any change. */
int cp_sess_load(struct praas_control *ctl, const char *sid, struct cp_reply *rep,
                 struct cp_sess *s);
/* -1 after answering 409 when s is a rank's session. */
int cp_sess_serverless(struct cp_sess *s, struct cp_reply *rep);
/* The live usage of s from its subprocess (new reference), or NULL when
 * it does not answer within timeout_ms. */
json_t *cp_sess_live_usage(struct cp_sl *sl, struct cp_sess *s, int timeout_ms);
/* s's subprocess is gone: mark it lost (rep may be NULL). */
void cp_sess_mark_lost(struct cp_sl *sl, struct cp_sess *s, struct cp_reply *rep);
/* Swap live session s out, waiting timeout_ms at most for each request to
 * its subprocess. */
int cp_sess_swap_out(struct cp_sl *sl, struct cp_sess *s, int timeout_ms, struct cp_reply *rep);

/* The executor's member hooks (members.c): each subprocess of a process
 * joins the process's view (executor.h, struct cp_exec_member_ops). */
struct cp_exec_member_ops;
void cp_sl_member_ops(struct cp_sl *sl, struct cp_exec_member_ops *mo);

#endif /* PRAAS_CONTROL_SESSIONS_H */
