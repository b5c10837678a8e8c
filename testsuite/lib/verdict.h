/*
 * Verdict lines of the client programs that a shell script runs and turns
 * into TAP (testsuite/lib/daemon.sh: daemon_verdicts): "PASS what" or
 * "FAIL what [praas_errmsg()]", one per check, and a count of failures
 * for the exit status; and what those programs ask the control plane
 * beside the client library.
 */
#ifndef PRAAS_TEST_VERDICT_H
#define PRAAS_TEST_VERDICT_H

#include <stdarg.h>
#include <stdio.h>

#include <jansson.h>
#include <praas/errors.h>

#include "client/http.h"

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

/* The pid of the praas-process that hosts session sid (GET
 * /v1/sessions/SID of the control plane at url), or 0. */
static inline long cp_session_pid(const char *url, const char *sid)
{
    char path[600]; /* "/v1/sessions/" and an id of any length a test passes */
    json_t *v = NULL;
    long pid = 0;

    snprintf(path, sizeof(path), "/v1/sessions/%s", sid);
    if (cl_http_request(url, "GET", path, NULL, 10000, NULL, &v) == 0)
        pid = (long)json_integer_value(json_object_get(v, "pid"));
    json_decref(v);
    return pid;
}

#endif /* PRAAS_TEST_VERDICT_H */
