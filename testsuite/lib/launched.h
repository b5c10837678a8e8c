/*
 * Helpers of the launched tests (programs run under praas-run): every rank
 * checks, rank 0 prints TAP, and each check passes only if it passed at
 * every rank.
 */
#ifndef PRAAS_TEST_LAUNCHED_H
#define PRAAS_TEST_LAUNCHED_H

#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/context.h"
#include "praas.h"
#include "testsuite/lib/tap.h"

#define LT_TIMEOUT_MS 60000

static int lt_rank, lt_size;

/* praas_init and the rank and size, or exit. */
static inline void lt_init(void)
{
    int rc = praas_init();

    if (rc) {
        fprintf(stderr, "praas_init: %s: %s\n", praas_strerror(rc), praas_errmsg());
        exit(1);
    }
    praas_rank(&lt_rank);
    praas_size(&lt_size);
}

/* Every rank's verdict on one check; rank 0 prints it. Returns whether it
 * passed everywhere. */
__attribute__((format(printf, 2, 3))) static inline int lt_check(int ok, const char *fmt, ...)
{
    unsigned char mine = (unsigned char)!!ok, *all = malloc((size_t)lt_size);
    char what[256];
    int every = 1;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (!all || core_exchange(&mine, 1, all, LT_TIMEOUT_MS)) {
        fprintf(stderr, "rank %d: exchange failed: %s\n", lt_rank, praas_errmsg());
        exit(2);
    }
    for (int r = 0; r < lt_size; r++)
        if (!all[r]) {
            every = 0;
            if (lt_rank == 0)
                tap_diag("rank %d failed: %s", r, what);
        }
    free(all);
    if (lt_rank == 0)
        tap_ok(every, "%s (%d workers, %s)", what, lt_size, praas_transport_name());
    return every;
}

/* Report a failed call on stderr; returns whether rc is 0. */
static inline int lt_report(int rc, const char *what)
{
    if (rc)
        fprintf(stderr, "rank %d: %s: %s (%s)\n", lt_rank, what, praas_strerror(rc),
                praas_errmsg());
    return rc == 0;
}

/* praas_finalize; rank 0 closes the TAP stream. Returns the exit status. */
static inline int lt_finish(void)
{
    int rc = praas_finalize();

    if (lt_rank == 0) {
        tap_ok(rc == 0, "praas_finalize");
        tap_no_plan_end();
        return tap_exit();
    }
    if (rc)
        fprintf(stderr, "rank %d: praas_finalize: %s\n", lt_rank, praas_errmsg());
    return rc != 0;
}

#endif /* PRAAS_TEST_LAUNCHED_H */
