/*
 * What the transport tests that run several transport contexts in one
 * process share (tp_pair, tp_join): TAP checks that show the last error,
 * the bail-out, the start (plan, log, the backend named by
 * PRAAS_TRANSPORT), opening contexts and connecting the first two, their
 * addresses and memory keys (each asked for its size first), a progress
 * thread, and a bounded wait for a flag set by a handler.
 *
 * Uses only transport.h. Every wait is bounded by TPT_TIMEOUT_MS, and
 * tpt_start arms alarm(300) so that a hang fails the test, not the suite.
 */
#ifndef PRAAS_TEST_TP_TEST_H
#define PRAAS_TEST_TP_TEST_H

#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "transport/transport.h"

#define TPT_TIMEOUT_MS 20000

static int tpt_count, tpt_failed;

/* "ok N - what" or "not ok N - what" and, on failure, praas_errmsg(). */
__attribute__((format(printf, 2, 3))) static inline void tpt_ok(int cond, const char *fmt, ...)
{
    va_list ap;

    printf("%sok %d - ", cond ? "" : "not ", ++tpt_count);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!cond) {
        tpt_failed++;
        printf("# last error: %s\n", praas_errmsg());
    }
    fflush(stdout);
}

/* Stop the test: what failed with rc. */
__attribute__((noreturn)) static inline void tpt_bail(const char *what, int rc)
{
    printf("Bail out! %s: %s (%s)\n", what, praas_err_name(rc), praas_errmsg());
    exit(1);
}

/* Arm the alarm, set up logging from PRAAS_LOG under prog's name, print the
 * plan of ntests checks and look up the backend PRAAS_TRANSPORT names (ucx
 * when unset) into *ops_p. Returns the backend's name; bails out if there
 * is no such backend. */
static inline const char *tpt_start(const char *prog, int ntests, const tp_ops_t **ops_p)
{
    const char *name = getenv("PRAAS_TRANSPORT") ? getenv("PRAAS_TRANSPORT") : "ucx";
    int rc;

    alarm(300);
    if (getenv("PRAAS_LOG") && core_log_parse(getenv("PRAAS_LOG")) >= 0)
        core_log_setup(core_log_parse(getenv("PRAAS_LOG")), prog);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("1..%d\n", ntests);
    rc = tp_lookup(name, ops_p);
    if (rc)
        tpt_bail("tp_lookup", rc);
    return name;
}

/* The exit status: 1 if a check failed or the count is not the plan's. */
static inline int tpt_exit(int ntests)
{
    if (tpt_count != ntests)
        printf("# planned %d tests, ran %d\n", ntests, tpt_count);
    return tpt_failed || tpt_count != ntests ? 1 : 0;
}

/* A context of rank in a world of 2 with room for max_size peers (0: 2). */
static inline tp_ctx_t *tpt_open(const tp_ops_t *ops, int rank, int max_size)
{
    tp_config_t cfg = {.rank = rank, .size = 2, .max_size = max_size};
    tp_ctx_t *ctx;
    int rc = tp_open(ops, &cfg, &ctx);

    if (rc)
        tpt_bail("tp_open", rc);
    return ctx;
}

/* ctx's address, malloc'd, its length in *len_p. Asking with no buffer
 * must give PRAAS_ERR_RANGE and the size. */
static inline void *tpt_addr(tp_ctx_t *ctx, size_t *len_p)
{
    size_t len = 0;
    void *buf;
    int rc = tp_addr_get(ctx, NULL, &len);

    if (rc != PRAAS_ERR_RANGE || len == 0)
        tpt_bail("tp_addr_get with no buffer should give PRAAS_ERR_RANGE and the size", rc);
    buf = malloc(len);
    if (!buf)
        tpt_bail("malloc", PRAAS_ERR_NOMEM);
    rc = tp_addr_get(ctx, buf, &len);
    if (rc)
        tpt_bail("tp_addr_get", rc);
    *len_p = len;
    return buf;
}

/* Open A (rank 0) and B (rank 1) with room for max_size peers and connect
 * them to each other; their addresses go to addrs[0..1] (malloc'd) and
 * lens[0..1]. */
static inline void tpt_pair(const tp_ops_t *ops, int max_size, tp_ctx_t **a_p, tp_ctx_t **b_p,
                            void *addrs[2], size_t lens[2])
{
    int rc;

    *a_p = tpt_open(ops, 0, max_size);
    *b_p = tpt_open(ops, 1, max_size);
    addrs[0] = tpt_addr(*a_p, &lens[0]);
    addrs[1] = tpt_addr(*b_p, &lens[1]);
    if ((rc = tp_connect(*a_p, 2, (const void *const *)addrs, lens)) != 0)
        tpt_bail("tp_connect A", rc);
    if ((rc = tp_connect(*b_p, 2, (const void *const *)addrs, lens)) != 0)
        tpt_bail("tp_connect B", rc);
}

/* user's key to owner's (rank owner_rank) registration mr, through the
 * packed form. The packed key goes to *blob_p and *len_p (the caller frees
 * it) when blob_p is not NULL. Asking for the size must give
 * PRAAS_ERR_RANGE. */
static inline tp_rkey_t *tpt_key(tp_ctx_t *owner, tp_mr_t *mr, tp_ctx_t *user, int owner_rank,
                                 void **blob_p, size_t *len_p)
{
    size_t len = 0;
    void *blob;
    tp_rkey_t *rk;
    int rc = tp_mr_pack(owner, mr, NULL, &len);

    if (rc != PRAAS_ERR_RANGE || len == 0)
        tpt_bail("tp_mr_pack with no buffer should give PRAAS_ERR_RANGE and the size", rc);
    blob = malloc(len);
    if (!blob)
        tpt_bail("malloc", PRAAS_ERR_NOMEM);
    rc = tp_mr_pack(owner, mr, blob, &len);
    if (rc)
        tpt_bail("tp_mr_pack", rc);
    rc = tp_rkey_unpack(user, owner_rank, blob, len, &rk);
    if (rc)
        tpt_bail("tp_rkey_unpack", rc);
    if (blob_p) {
        *blob_p = blob;
        *len_p = len;
    } else {
        free(blob);
    }
    return rk;
}

/* A progress thread on the context arg, as the core's progress thread
 * runs, until tpt_stop_progress is set. */
static atomic_int tpt_stop_progress;

static inline void *tpt_progress_main(void *arg)
{
    tp_ctx_t *ctx = arg;

    while (!atomic_load(&tpt_stop_progress))
        if (tp_progress(ctx) == 0)
            sched_yield();
    return NULL;
}

/* Progress ctx (besides any thread of its own) until *flag reaches want.
 * Returns 1, or 0 after TPT_TIMEOUT_MS. */
static inline int tpt_wait_flag(tp_ctx_t *ctx, atomic_int *flag, int want)
{
    uint64_t deadline = core_deadline(TPT_TIMEOUT_MS);

    while (atomic_load(flag) < want) {
        if (tp_progress(ctx) == 0)
            sched_yield();
        if (core_expired(deadline))
            return 0;
    }
    return 1;
}

#endif /* PRAAS_TEST_TP_TEST_H */
