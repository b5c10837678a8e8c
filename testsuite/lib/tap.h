/*
 * A tiny TAP producer for the test programs: each check prints
 * "ok N - what" or "not ok N - what" and the program exits non-zero if any
 * check failed.
 */
#ifndef PRAAS_TEST_TAP_H
#define PRAAS_TEST_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_count, tap_failed;

static inline void tap_plan(int n)
{
    printf("1..%d\n", n);
    fflush(stdout);
}

static inline void tap_no_plan_end(void)
{
    printf("1..%d\n", tap_count);
    fflush(stdout);
}

__attribute__((format(printf, 2, 3))) static inline int tap_ok(int cond, const char *fmt, ...)
{
    va_list ap;

    printf("%sok %d - ", cond ? "" : "not ", ++tap_count);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    if (!cond)
        tap_failed++;
    return cond;
}

__attribute__((format(printf, 1, 2))) static inline void tap_diag(const char *fmt, ...)
{
    va_list ap;

    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

static inline int tap_skip_all(const char *why)
{
    printf("1..0 # SKIP %s\n", why);
    return 0;
}

static inline int tap_exit(void)
{
    return tap_failed ? 1 : 0;
}

#endif /* PRAAS_TEST_TAP_H */
