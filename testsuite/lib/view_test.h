/*
 * What the worker programs of testsuite/gmem_view.sh share (view_win,
 * view_coll, gmem_join, gmem_view): the rank and size, TAP lines from rank
 * 0 (the others report failures on stderr), a monotonic clock and a nap,
 * the view callback that records the last view installed, and bounded waits
 * for an object to exist and for a view to be installed.
 *
 * The program starts with vt_init (or sets rank and size itself after
 * praas_init), registers on_view with praas_view_set_callback when it waits
 * for views, and returns vt_finish's status. Every wait is bounded
 * (VT_WAIT_S, or the seconds the caller gives).
 */
#ifndef PRAAS_TEST_VIEW_TEST_H
#define PRAAS_TEST_VIEW_TEST_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <praas.h>

#define VT_WAIT_S 60

/* This worker's rank and the world size; the TAP number (rank 0) and
 * whether a check of this rank failed. */
static int rank, size, vt_tap, vt_failed;
/* The last view the callback reported, and how many times it ran. */
static atomic_uint_least64_t cb_view;
static atomic_int callbacks;

/* Rank 0 prints "ok N - what" or "not ok N - what"; the others print only
 * failures, on stderr. A failure sets vt_failed. */
__attribute__((format(printf, 2, 3))) static inline void tap_line(int ok, const char *fmt, ...)
{
    va_list ap;

    vt_failed |= !ok;
    if (rank != 0 && ok)
        return;
    va_start(ap, fmt);
    if (rank == 0) {
        printf("%s %d - ", ok ? "ok" : "not ok", ++vt_tap);
        vprintf(fmt, ap);
        printf("\n");
        fflush(stdout);
    } else {
        fprintf(stderr, "rank %d: not ok - ", rank);
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, "\n");
    }
    va_end(ap);
}

/* Seconds on the monotonic clock. */
static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline void nap_ms(int ms)
{
    nanosleep(&(struct timespec){ms / 1000, (long)(ms % 1000) * 1000000}, NULL);
}

/* The view callback: records the view and counts the calls. */
static inline void on_view(uint64_t view, const int *members, int n, void *arg)
{
    (void)members;
    (void)n;
    (void)arg;
    atomic_store(&cb_view, view);
    atomic_fetch_add(&callbacks, 1);
}

/* Open name, retrying while it does not exist yet (up to secs seconds).
 * Returns praas_obj_open's code: PRAAS_ERR_NOT_FOUND when time ran out. */
static inline int open_wait(const char *name, praas_obj_t *obj_p, int secs)
{
    double end = now_s() + secs;
    int rc;

    while ((rc = praas_obj_open(name, obj_p)) == PRAAS_ERR_NOT_FOUND && now_s() < end)
        nap_ms(5);
    return rc;
}

/* Wait (up to VT_WAIT_S) until the callback reported view `want` or a later
 * one, then read the view installed here: its number into *view_p, up to
 * max members into members and their count into *n_p. */
static inline void wait_view_get(uint64_t want, uint64_t *view_p, int *members, int max,
                                 int *n_p)
{
    double end = now_s() + VT_WAIT_S;

    while (atomic_load(&cb_view) < want && now_s() < end)
        nap_ms(5);
    praas_view_get(view_p, members, max, n_p);
}

/* praas_init, then rank and size. Returns 0, or 1 after reporting why
 * praas_init failed on stderr. */
static inline int vt_init(void)
{
    if (praas_init())
        return fprintf(stderr, "praas_init: %s\n", praas_errmsg()), 1;
    praas_rank(&rank);
    praas_size(&size);
    return 0;
}

/* praas_finalize (a failure counts as a failed check). Returns the exit
 * status: 1 when a check of this rank failed, else 0. */
static inline int vt_finish(void)
{
    if (praas_finalize()) {
        fprintf(stderr, "rank %d: praas_finalize: %s\n", rank, praas_errmsg());
        vt_failed = 1;
    }
    return vt_failed;
}

#endif /* PRAAS_TEST_VIEW_TEST_H */
