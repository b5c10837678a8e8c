/*
 * Verdict lines of the client programs that a shell script runs and turns
 * into TAP (testsuite/lib/daemon.sh: daemon_verdicts): "PASS what" or
 * "FAIL what [praas_errmsg()]", one per check, and a count of failures
 * for the exit status.
 */
#ifndef PRAAS_TEST_VERDICT_H
#define PRAAS_TEST_VERDICT_H

#include <stdarg.h>
#include <stdio.h>

#include <praas/errors.h>

static int failures;

__attribute__((format(printf, 2, 3))) static int check(int cond, const char *fmt, ...)
{
    va_list ap;

    printf("%s ", cond ? "PASS" : "FAIL");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (!cond)
        printf(" [%s]", praas_errmsg());
    printf("\n");
    fflush(stdout);
    failures += !cond;
    return cond;
}

#endif /* PRAAS_TEST_VERDICT_H */
