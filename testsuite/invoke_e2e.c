/*
 * Sessions and invocations end to end, through the client library against a
 * running praas-control with real praas-process subprocesses (driven by
 * testsuite/invoke_e2e.sh, which starts the daemons).
 *
 *   invoke_e2e CONTROL_URL LIBRARY SCENARIO
 *
 * Prints one line per check, "PASS what" or "FAIL what", which the script
 * turns into TAP; exits 0. Scenarios:
 *   basic   first call through the control plane and later ones direct
 *           (counted), chaining through session memory, a FIFO pipeline
 *           with dependencies, an 8-producer multi-source reduction, the
 *           concurrency cap, a client timeout, errors, asynchronous calls
 *   swap    memory filled, swapped out and in (on request and by a call),
 *           compared by checksum; delete with its swapped state
 *   idle    a session swapped out by the idle sweeper comes back intact
 *   kill    a subprocess killed: its swapped session comes back elsewhere,
 *           its live one is reported gone (not hung)
 *   hang    a subprocess stopped (SIGSTOP, hung rather than dead): the
 *           daemon's pings find it, it is killed, its live session reads
 *           lost, its swapped one comes back elsewhere; a call to it that was
 *           waiting fails rather than hangs (the daemon runs with
 *           --ping-interval 250)
 *   placement  the cap of sessions per subprocess (the daemon runs with
 *           --sessions-per-subprocess 4); idle subprocesses stop
 *   restart1, then restart2 PROC SWAPPED LIVE CHECKSUM1 CHECKSUM2 against a
 *           new daemon on the same Redis store, after a SIGTERM of the first:
 *           the swapped session comes back, and so does the live one (the
 *           graceful stop swapped it out), both byte-exact
 */
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <praas/client.h>
#include <praas/errors.h>

#include "client/http.h"
#include "core/common.h"

#include "testsuite/lib/verdict.h"

static double now_s(void)
{
    return (double)core_now_ns() / 1e9;
}

static const char *url, *library;
static praas_client_t *cl;

static int make_process(char id[PRAAS_ID_MAX], int max_functions)
{
    praas_limits_t lim = {.session_memory = 64u << 20, .max_functions = max_functions,
                          .memory_increment = 64u << 10};
    int rc = praas_process_create(cl, NULL, library, &lim, id);
    check(rc == 0, "create a process with library %s (max_functions %d): %s", library,
          max_functions, rc ? "failed" : id);
    return rc;
}

static int invoke_str(const char *sid, const char *fn, const char *in, praas_result_t *r)
{
    return praas_invoke(cl, sid, fn, in, strlen(in), NULL, r);
}

static int64_t result_i64(const praas_result_t *r)
{
    int64_t v = -1;
    if (r->len == sizeof(v))
        memcpy(&v, r->data, sizeof(v));
    return v;
}

/* ---- basic ---- */

static void scenario_basic(void)
{
    char proc[PRAAS_ID_MAX], sid[PRAAS_ID_MAX];
    praas_session_info_t info;
    praas_usage_t su, pu;
    praas_result_t r;
    int rc, direct = 1;

    if (make_process(proc, 2) < 0)
        return;
    rc = praas_session_alloc(cl, proc, 256u << 10, &info);
    check(rc == 0 && strcmp(info.state, "live") == 0 && info.memory == (256u << 10) &&
              info.endpoint[0], "allocate a 256 KiB session: live at %s", info.endpoint);
    if (rc)
        return;
    snprintf(sid, sizeof(sid), "%s", info.id);

    rc = invoke_str(sid, "echo", "hello praas", &r);
    check(rc == 0 && r.len == 11 && memcmp(r.data, "hello praas", 11) == 0 && !r.direct &&
              strcmp(r.endpoint, info.endpoint) == 0,
          "the first echo goes through the control plane and answers the endpoint");
    if (rc == 0)
        praas_result_free(&r);
    for (int i = 0; i < 5; i++) {
        char msg[32];
        snprintf(msg, sizeof(msg), "direct %d", i);
        rc = invoke_str(sid, "echo", msg, &r);
        direct &= rc == 0 && r.direct && r.len == strlen(msg) && memcmp(r.data, msg, r.len) == 0;
        if (rc == 0)
            praas_result_free(&r);
    }
    check(direct, "the next 5 echoes go straight to the session");
    rc = praas_session_metrics(cl, sid, &su);
    check(rc == 0 && su.invocations == 6, "the session counts 6 invocations (%" PRIu64 ")",
          su.invocations);
    rc = praas_process_metrics(cl, proc, &pu);
    check(rc == 0 && pu.control_invocations == 1 && pu.invocations == 6,
          "the control plane saw 1 of them (%" PRIu64 " of %" PRIu64 "): the others skipped it",
          pu.control_invocations, pu.invocations);
    check(su.bytes_in >= 11 + 5 * 8 && su.wall_ns > 0, "usage counts bytes in (%" PRIu64
          ") and wall time (%" PRIu64 " ns)", su.bytes_in, su.wall_ns);

    /* Chaining through session memory. */
    int64_t add = 5, got = 0;
    rc = praas_invoke(cl, sid, "counter_add", &add, sizeof(add), NULL, &r);
    if (rc == 0)
        praas_result_free(&r);
    add = 37;
    rc = rc ? rc : praas_invoke(cl, sid, "counter_add", &add, sizeof(add), NULL, &r);
    if (rc == 0)
        praas_result_free(&r);
    rc = rc ? rc : praas_invoke(cl, sid, "counter_get", NULL, 0, NULL, &r);
    if (rc == 0) {
        got = result_i64(&r);
        praas_result_free(&r);
    }
    check(rc == 0 && got == 42, "counter_add 5, counter_add 37, counter_get -> 42 (%" PRId64
          ") through session memory", got);

    /* A FIFO pipeline: 16 asynchronous appends, each depending on the one
     * before, issued at once; the log must be in order. */
    praas_call_t *calls[16];
    char parts[16][4];
    uint64_t prev = 0;
    int started = 1;
    for (int i = 0; i < 16; i++) {
        praas_invoke_opts_t o = {.deps = &prev, .ndeps = prev ? 1 : 0};
        snprintf(parts[i], sizeof(parts[i]), "%c", 'a' + i);
        if (praas_invoke_async(cl, sid, "append", parts[i], 1, &o, &calls[i]) != 0) {
            started = 0;
            break;
        }
        prev = praas_call_id(calls[i]);
    }
    check(started, "16 appends started asynchronously, each depending on the previous");
    int ok_all = started;
    char last[64] = "";
    for (int i = 0; started && i < 16; i++) {
        rc = praas_call_wait(calls[i], 30000, &r);
        ok_all &= rc == 0;
        if (rc == 0) {
            if (i == 15)
                snprintf(last, sizeof(last), "%.*s", (int)r.len, (char *)r.data);
            praas_result_free(&r);
        }
    }
    check(ok_all && strcmp(last, "abcdefghijklmnop") == 0,
          "the pipeline ran first in, first out: log '%s'", last);

    /* Multi-source reduction: 8 producers, one invocation id. */
    praas_call_t *prod[8];
    int64_t vec[8][4];
    uint64_t rid = 777001;
    started = 1;
    for (int i = 0; i < 8; i++) {
        praas_invoke_opts_t o = {.id = rid, .nargs = 8, .arg = i};
        for (int k = 0; k < 4; k++)
            vec[i][k] = (int64_t)(i * 10 + k);
        if (praas_invoke_async(cl, sid, "sum", vec[i], sizeof(vec[i]), &o, &prod[i]) != 0)
            started = 0;
    }
    ok_all = started;
    for (int i = 0; started && i < 8; i++) {
        rc = praas_call_wait(prod[i], 30000, &r);
        if (rc == 0 && r.len == 4 * sizeof(int64_t)) {
            int64_t *s = r.data;
            /* sum over i of (10 i + k) = 280 + 8 k */
            for (int k = 0; k < 4; k++)
                ok_all &= s[k] == 280 + 8 * k;
        } else {
            ok_all = 0;
        }
        if (rc == 0)
            praas_result_free(&r);
    }
    check(ok_all, "a multi-source sum of 8 producers gives each the element-wise sum");

    /* The concurrency cap: 6 sleeps of 300 ms in a session of at most 2
     * functions; none fails, at most 2 ran at once. */
    praas_call_t *sl[6];
    uint32_t ms = 300;
    started = 1;
    double t0 = now_s();
    for (int i = 0; i < 6; i++)
        if (praas_invoke_async(cl, sid, "sleep_ms", &ms, sizeof(ms), NULL, &sl[i]) != 0)
            started = 0;
    ok_all = started;
    for (int i = 0; started && i < 6; i++) {
        rc = praas_call_wait(sl[i], 30000, &r);
        ok_all &= rc == 0;
        if (rc == 0)
            praas_result_free(&r);
    }
    double took = now_s() - t0;
    int32_t maxr = -1;
    rc = praas_invoke(cl, sid, "max_running", NULL, 0, NULL, &r);
    if (rc == 0 && r.len == sizeof(maxr))
        memcpy(&maxr, r.data, sizeof(maxr));
    if (rc == 0)
        praas_result_free(&r);
    check(ok_all && maxr == 2, "6 sleeps with max_functions 2: at most 2 ran at once (%d)",
          maxr);
    check(took >= 0.85, "and the 6 took at least 3 rounds of 300 ms (%.2f s)", took);

    /* A client timeout: the call gives up, the session goes on. */
    ms = 2000;
    praas_invoke_opts_t to = {.timeout_ms = 300};
    t0 = now_s();
    rc = praas_invoke(cl, sid, "sleep_ms", &ms, sizeof(ms), &to, &r);
    took = now_s() - t0;
    check(rc == PRAAS_ERR_TIMEOUT && took < 1.5, "a 2 s function with a 300 ms timeout: "
          "PRAAS_ERR_TIMEOUT after %.2f s (%s)", took, praas_err_name(rc));
    rc = invoke_str(sid, "echo", "still here", &r);
    check(rc == 0 && r.len == 10, "the session answers after the timeout");
    if (rc == 0)
        praas_result_free(&r);

    /* Errors. */
    rc = invoke_str(sid, "no_such_function", "x", &r);
    check(rc == PRAAS_ERR_NOT_FOUND && strstr(praas_errmsg(), "no_such_function"),
          "an unknown function: PRAAS_ERR_NOT_FOUND naming it (%s)", praas_err_name(rc));
    rc = invoke_str(sid, "fail", "on purpose", &r);
    check(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "on purpose"),
          "a failing function: its code and message (%s: %s)", praas_err_name(rc),
          praas_errmsg());
    praas_invoke_opts_t via = {.flags = PRAAS_INVOKE_VIA_CONTROL};
    rc = praas_invoke(cl, sid, "fail", "cp", 2, &via, &r);
    check(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "cp"),
          "a failing function through the control plane: a 4xx with its message (%s)",
          praas_err_name(rc));
    rc = invoke_str("s-0000000000000000", "echo", "x", &r);
    check(rc == PRAAS_ERR_NOT_FOUND, "an unknown session: PRAAS_ERR_NOT_FOUND (%s)",
          praas_err_name(rc));

    /* A new session per call, through the control plane. */
    praas_invoke_opts_t np = {.process = proc, .memory = 128u << 10};
    rc = praas_invoke(cl, NULL, "echo", "fresh", 5, &np, &r);
    check(rc == 0 && r.len == 5 && r.session[0] && strcmp(r.session, sid) != 0,
          "invoke in a new session of the process: %s", rc ? "failed" : r.session);
    if (rc == 0) {
        char other[PRAAS_ID_MAX];
        snprintf(other, sizeof(other), "%s", r.session);
        praas_result_free(&r);
        rc = invoke_str(other, "echo", "again", &r);
        check(rc == 0 && r.direct, "the new session then answers directly");
        if (rc == 0)
            praas_result_free(&r);
    }
    praas_session_info_t *list;
    size_t n = 0;
    rc = praas_session_list(cl, proc, &list, &n);
    check(rc == 0 && n == 2, "the process lists 2 sessions (%zu)", n);
    if (rc == 0)
        free(list);

    rc = praas_session_metrics(cl, sid, &su);
    rc = rc ? rc : praas_session_delete(cl, sid);
    check(rc == 0, "delete the session (after %" PRIu64 " invocations)", su.invocations);
    rc = praas_session_get(cl, sid, &info);
    check(rc == PRAAS_ERR_NOT_FOUND, "a deleted session is not found (%s)", praas_err_name(rc));
    rc = praas_process_metrics(cl, proc, &pu);
    check(rc == 0 && pu.invocations >= su.invocations + 2 && pu.control_invocations >= 3,
          "the process's usage keeps the deleted session's invocations (%" PRIu64 " >= %"
          PRIu64 " + 2)", pu.invocations, su.invocations);
    rc = praas_process_delete(cl, proc);
    check(rc == 0, "delete the process with its sessions");
}

/* The number of subprocesses running for process proc, -1 on failure. */
static long subprocesses_of(const char *proc)
{
    char path[128];
    json_t *v = NULL;
    long n = -1;

    snprintf(path, sizeof(path), "/v1/processes/%s/metrics", proc);
    if (cl_http_request(url, "GET", path, NULL, 10000, NULL, &v) == 0)
        n = (long)json_integer_value(json_object_get(v, "subprocesses"));
    json_decref(v);
    return n;
}

static long session_pid(const char *sid);

/* ---- placement: the cap of sessions per subprocess (the daemon runs with
 * --sessions-per-subprocess 4) ---- */

static void scenario_placement(void)
{
    char proc[PRAAS_ID_MAX], sids[6][PRAAS_ID_MAX];
    praas_session_info_t info;
    long pids[6], distinct[6];
    size_t nd = 0;
    int rc = 0, most = 0;

    if (make_process(proc, 1) < 0)
        return;
    for (int i = 0; i < 6 && rc == 0; i++) {
        rc = praas_session_alloc(cl, proc, 64u << 10, &info);
        snprintf(sids[i], sizeof(sids[i]), "%s", info.id);
    }
    if (!check(rc == 0, "allocate 6 sessions"))
        return;
    for (int i = 0; i < 6; i++) {
        size_t k;
        pids[i] = session_pid(sids[i]);
        for (k = 0; k < nd && distinct[k] != pids[i]; k++)
            ;
        if (k == nd)
            distinct[nd++] = pids[i];
    }
    for (size_t k = 0; k < nd; k++) {
        int c = 0;
        for (int i = 0; i < 6; i++)
            c += pids[i] == distinct[k];
        most = c > most ? c : most;
    }
    check(nd == 2 && most == 4, "with at most 4 sessions per subprocess, 6 sessions use 2 "
          "subprocesses (%zu), the fuller one hosting 4 (%d)", nd, most);
    check(subprocesses_of(proc) == 2, "the process's metrics count 2 subprocesses");
    for (int i = 0; i < 6; i++)
        praas_session_swap(cl, sids[i], NULL);
    double t0 = now_s();
    while (now_s() - t0 < 10 && subprocesses_of(proc) != 0)
        usleep(50000);
    check(subprocesses_of(proc) == 0, "with every session swapped out, both subprocesses stop "
          "after the grace period (%.2f s)", now_s() - t0);
    praas_result_t r;
    rc = invoke_str(sids[5], "echo", "back", &r);
    check(rc == 0 && subprocesses_of(proc) == 1, "a call brings its session back on a new "
          "subprocess");
    if (rc == 0)
        praas_result_free(&r);
    praas_process_delete(cl, proc);
}

/* ---- swap ---- */

static uint64_t checksum_of(const char *sid, int *rc_p, int *direct_p)
{
    praas_result_t r;
    uint64_t h = 0;

    *rc_p = praas_invoke(cl, sid, "checksum", NULL, 0, NULL, &r);
    if (*rc_p == 0) {
        h = (uint64_t)result_i64(&r);
        if (direct_p)
            *direct_p = r.direct;
        praas_result_free(&r);
    }
    return h;
}

static void scenario_swap(void)
{
    char proc[PRAAS_ID_MAX], sid[PRAAS_ID_MAX];
    praas_session_info_t info;
    praas_usage_t u;
    praas_result_t r;
    uint64_t seed = 20261129, h1, h2, h3;
    int rc, direct = 0;

    if (make_process(proc, 4) < 0)
        return;
    rc = praas_session_alloc(cl, proc, 4u << 20, &info);
    check(rc == 0, "allocate a 4 MiB session");
    if (rc)
        return;
    snprintf(sid, sizeof(sid), "%s", info.id);
    rc = praas_invoke(cl, sid, "fill", &seed, sizeof(seed), NULL, &r);
    if (rc == 0)
        praas_result_free(&r);
    h1 = checksum_of(sid, &rc, NULL);
    check(rc == 0 && h1 != 0, "fill the memory with a pattern; checksum %016" PRIx64, h1);
    /* The whole memory, to compare byte by byte after the swaps. */
    uint64_t whole[2] = {0, 4u << 20};
    praas_result_t before = {0}, after = {0};
    rc = praas_invoke(cl, sid, "memread", whole, sizeof(whole), NULL, &before);
    check(rc == 0 && before.len == whole[1], "read the whole 4 MiB memory back (%zu bytes)",
          before.len);

    rc = praas_session_swap(cl, sid, &info);
    check(rc == 0 && strcmp(info.state, "swapped") == 0 && info.storage[0] &&
              info.endpoint[0] == '\0', "swap out on request: state %s, storage key %s",
          info.state, info.storage);
    rc = praas_session_get(cl, sid, &info);
    check(rc == 0 && strcmp(info.state, "swapped") == 0 && info.swaps == 1,
          "GET shows it swapped (swaps %u)", info.swaps);
    h2 = checksum_of(sid, &rc, &direct);
    check(rc == 0 && h2 == h1, "an invocation swaps it back in: checksum %016" PRIx64
          " %s", h2, h2 == h1 ? "matches byte for byte" : "DIFFERS");
    rc = praas_session_get(cl, sid, &info);
    check(rc == 0 && strcmp(info.state, "live") == 0 && info.endpoint[0],
          "it is live again at %s", info.endpoint);
    rc = praas_invoke(cl, sid, "memread", whole, sizeof(whole), NULL, &after);
    check(rc == 0 && after.len == before.len && before.len &&
              memcmp(after.data, before.data, before.len) == 0,
          "its 4 MiB of memory are the same byte for byte after the swap");
    praas_result_free(&before);
    praas_result_free(&after);

    rc = praas_session_swap(cl, sid, NULL);
    rc = rc ? rc : praas_session_retrieve(cl, sid, &info);
    check(rc == 0 && strcmp(info.state, "live") == 0 && info.swaps == 2,
          "swap out and retrieve: live at %s", info.endpoint);
    h3 = checksum_of(sid, &rc, &direct);
    check(rc == 0 && h3 == h1 && direct, "the checksum matches again, directly");
    rc = praas_session_metrics(cl, sid, &u);
    check(rc == 0 && u.invocations >= 6, "the usage survives the swaps (%" PRIu64
          " invocations)", u.invocations);
    rc = praas_session_swap(cl, sid, &info);
    printf("STORAGE %s\n", info.storage);
    rc = rc ? rc : praas_session_delete(cl, sid);
    check(rc == 0, "delete the swapped session (with its swapped state)");
    praas_process_delete(cl, proc);
}

/* ---- idle ---- */

static void scenario_idle(void)
{
    char proc[PRAAS_ID_MAX], sid[PRAAS_ID_MAX];
    praas_session_info_t info;
    praas_result_t r;
    uint64_t seed = 7, h1, h2;
    int rc, swapped = 0;

    if (make_process(proc, 4) < 0)
        return;
    rc = praas_session_alloc(cl, proc, 1u << 20, &info);
    if (!check(rc == 0, "allocate a 1 MiB session"))
        return;
    snprintf(sid, sizeof(sid), "%s", info.id);
    rc = praas_invoke(cl, sid, "fill", &seed, sizeof(seed), NULL, &r);
    if (rc == 0)
        praas_result_free(&r);
    h1 = checksum_of(sid, &rc, NULL);
    double t0 = now_s();
    while (now_s() - t0 < 15 && !swapped) {
        usleep(100000);
        swapped = praas_session_get(cl, sid, &info) == 0 && strcmp(info.state, "swapped") == 0;
    }
    check(swapped, "the idle sweeper swapped the session out after %.1f s", now_s() - t0);
    h2 = checksum_of(sid, &rc, NULL);
    check(rc == 0 && h1 == h2, "the next call brings it back intact (%016" PRIx64 ")", h2);
    praas_process_delete(cl, proc);
}

/* ---- kill ---- */

static long session_pid(const char *sid)
{
    return cp_session_pid(url, sid);
}

/* The start of the kill and hang scenarios: a process with session A
 * (filled from seed, its checksum in *h_p) and live session B, both in one
 * subprocess whose pid goes to *pid_p; then A is swapped out (its endpoint
 * before that in enda). Returns 0, or -1 after a failed check or without a
 * subprocess to kill. */
static int two_in_one(char proc[PRAAS_ID_MAX], char a[PRAAS_ID_MAX], char b[PRAAS_ID_MAX],
                      uint64_t seed, uint64_t *h_p, long *pid_p,
                      char enda[PRAAS_ENDPOINT_MAX])
{
    praas_session_info_t info;
    praas_result_t r;
    int rc;

    if (make_process(proc, 4) < 0)
        return -1;
    rc = praas_session_alloc(cl, proc, 1u << 20, &info);
    snprintf(a, PRAAS_ID_MAX, "%s", info.id);
    rc = rc ? rc : praas_session_alloc(cl, proc, 1u << 20, &info);
    snprintf(b, PRAAS_ID_MAX, "%s", info.id);
    if (!check(rc == 0, "allocate sessions A and B"))
        return -1;
    rc = praas_invoke(cl, a, "fill", &seed, sizeof(seed), NULL, &r);
    if (rc == 0)
        praas_result_free(&r);
    *h_p = checksum_of(a, &rc, NULL);
    rc = invoke_str(b, "echo", "b is live", &r);
    if (rc == 0)
        praas_result_free(&r);
    *pid_p = session_pid(a);
    check(*pid_p > 0 && *pid_p == session_pid(b), "A and B live in one subprocess (pid %ld)",
          *pid_p);
    rc = praas_session_get(cl, a, &info);
    snprintf(enda, PRAAS_ENDPOINT_MAX, "%s", rc == 0 ? info.endpoint : "");
    rc = praas_session_swap(cl, a, NULL);
    check(rc == 0, "swap A out");
    return *pid_p > 0 ? 0 : -1;
}

/* Whether session sid is reported lost within limit_s seconds of t0. */
static int wait_lost(const char *sid, double t0, double limit_s)
{
    praas_session_info_t info;
    int lost = 0;

    while (now_s() - t0 < limit_s && !lost) {
        usleep(50000);
        lost = praas_session_get(cl, sid, &info) == 0 && strcmp(info.state, "lost") == 0;
    }
    return lost;
}

/* The end of both: lost session B fails at once with PRAAS_ERR_PEER, and
 * swapped session A comes back with checksum h1. */
static void check_gone_and_back(const char *a, const char *b, uint64_t h1, const char *again)
{
    double t0 = now_s();
    praas_result_t r;
    uint64_t h2;
    int rc = invoke_str(b, "echo", "anyone?", &r);

    if (rc == 0)
        praas_result_free(&r);
    check(rc == PRAAS_ERR_PEER && now_s() - t0 < 5, "invoking B%s fails with PRAAS_ERR_PEER in "
          "%.2f s, not a hang (%s)", again, now_s() - t0, praas_err_name(rc));
    h2 = checksum_of(a, &rc, NULL);
    check(rc == 0 && h2 == h1, "swapped session A comes back intact (%016" PRIx64 ")", h2);
}

static void scenario_kill(void)
{
    char proc[PRAAS_ID_MAX], a[PRAAS_ID_MAX], b[PRAAS_ID_MAX], suba[PRAAS_ENDPOINT_MAX];
    praas_session_info_t info;
    uint64_t h1;
    long pid;
    int rc;

    if (two_in_one(proc, a, b, 99, &h1, &pid, suba) < 0)
        return;
    kill((pid_t)pid, SIGKILL);

    double t0 = now_s();
    int lost = wait_lost(b, t0, 10);
    check(lost, "after SIGKILL of the subprocess, live session B is reported lost (%.2f s)",
          now_s() - t0);
    check_gone_and_back(a, b, h1, "");
    rc = praas_session_get(cl, a, &info);
    check(rc == 0 && strcmp(info.state, "live") == 0 && strcmp(info.endpoint, suba) != 0 &&
              session_pid(a) != pid, "on another subprocess (%s, pid %ld)", info.endpoint,
          session_pid(a));
    praas_process_delete(cl, proc);
}

/* ---- hang ---- */

/* Whether process pid is stopped ('T' in /proc/PID/stat), waiting up to 2 s:
 * SIGSTOP takes effect a moment after kill returns. */
static int stopped(long pid)
{
    char path[64], buf[256], *p;
    double t0 = now_s();

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    while (now_s() - t0 < 2) {
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
        if (f)
            fclose(f);
        buf[n] = '\0';
        p = strrchr(buf, ')');
        if (p && p[1] == ' ' && p[2] == 'T')
            return 1;
        usleep(10000);
    }
    return 0;
}

static void scenario_hang(void)
{
    char proc[PRAAS_ID_MAX], a[PRAAS_ID_MAX], b[PRAAS_ID_MAX], enda[PRAAS_ENDPOINT_MAX];
    praas_result_t r;
    uint64_t h1;
    long pid;
    int rc;

    if (two_in_one(proc, a, b, 31337, &h1, &pid, enda) < 0)
        return;
    kill((pid_t)pid, SIGSTOP);
    check(stopped(pid), "SIGSTOP the subprocess (pid %ld): it is stopped", pid);

    /* Directly to the stopped subprocess: nothing answers until the daemon
     * kills it, which breaks the connection. */
    double t0 = now_s();
    rc = invoke_str(b, "echo", "anyone?", &r);
    if (rc == 0)
        praas_result_free(&r);
    check(rc != 0 && now_s() - t0 < 20, "a call to B in the stopped subprocess fails in %.2f s "
          "rather than hangs (%s)", now_s() - t0, praas_err_name(rc));
    check(wait_lost(b, t0, 20), "live session B is reported lost %.2f s after SIGSTOP",
          now_s() - t0);
    check(kill((pid_t)pid, 0) < 0, "the hung subprocess (pid %ld) was killed", pid);
    check_gone_and_back(a, b, h1, " again");
    check(session_pid(a) > 0 && session_pid(a) != pid, "on another subprocess (pid %ld)",
          session_pid(a));
    praas_process_delete(cl, proc);
}

/* ---- restart: sessions of a Redis store across daemons ---- */

/* Phase 1: a swapped session and a live one, both filled; prints "STATE
 * proc swapped live checksum1 checksum2" for phase 2, run against the next
 * daemon on the same store. */
static void scenario_restart1(void)
{
    char proc[PRAAS_ID_MAX], a[PRAAS_ID_MAX];
    praas_session_info_t info;
    praas_result_t r;
    uint64_t seed = 4242, seed2 = 2424, h, h2 = 0;
    int rc;

    if (make_process(proc, 4) < 0)
        return;
    rc = praas_session_alloc(cl, proc, 2u << 20, &info);
    snprintf(a, sizeof(a), "%s", info.id);
    rc = rc ? rc : praas_invoke(cl, a, "fill", &seed, sizeof(seed), NULL, &r);
    if (rc == 0)
        praas_result_free(&r);
    h = checksum_of(a, &rc, NULL);
    rc = rc ? rc : praas_session_swap(cl, a, NULL);
    check(rc == 0, "fill a 2 MiB session and swap it out");
    rc = praas_session_alloc(cl, proc, 1u << 20, &info);
    rc = rc ? rc : praas_invoke(cl, info.id, "fill", &seed2, sizeof(seed2), NULL, &r);
    if (rc == 0)
        praas_result_free(&r);
    h2 = rc ? 0 : checksum_of(info.id, &rc, NULL);
    check(rc == 0 && h2 != 0, "fill a second 1 MiB session, left live");
    printf("STATE %s %s %s %016" PRIx64 " %016" PRIx64 "\n", proc, a, info.id, h, h2);
}

/* Phase 2, on a new daemon: the swapped session comes back, and so does the
 * live one, which the old daemon's graceful stop swapped out. */
static void scenario_restart2(const char *proc, const char *a, const char *b, const char *hex,
                              const char *hex2)
{
    uint64_t want = strtoull(hex, NULL, 16), want2 = strtoull(hex2, NULL, 16), h;
    praas_session_info_t info;
    int rc;

    h = checksum_of(a, &rc, NULL);
    check(rc == 0 && h == want, "the new daemon swaps in the session swapped out under the old "
          "one: checksum %016" PRIx64 " %s", h, h == want ? "matches" : "DIFFERS");
    rc = praas_session_get(cl, b, &info);
    check(rc == 0 && strcmp(info.state, "swapped") == 0, "the session live at the old daemon's "
          "SIGTERM was swapped out by its graceful stop (state %s)", rc ? "?" : info.state);
    h = checksum_of(b, &rc, NULL);
    check(rc == 0 && h == want2, "and comes back byte-exact: checksum %016" PRIx64 " %s", h,
          h == want2 ? "matches" : "DIFFERS");
    praas_process_delete(cl, proc);
}

/* ---- library: uploads through the client library (run by library.sh) ---- */

struct up_count {
    unsigned calls;
    uint64_t last, total;
    int cancel;
};

static int count_progress(void *arg, uint64_t done, uint64_t total)
{
    struct up_count *u = arg;

    u->calls++;
    u->last = done;
    u->total = total > u->total ? total : u->total;
    return u->cancel;
}

static void scenario_library(void)
{
    const char *path = library;
    struct up_count u = {0}, uc = {.cancel = 1};
    praas_invoke_opts_t io = {0};
    praas_library_info_t li, got, *list = NULL;
    char proc[PRAAS_ID_MAX];
    praas_result_t r;
    size_t n = 0;
    int rc, found = 0;

    rc = praas_library_upload_file(cl, "api-lib", path, count_progress, &u, &li);
    check(rc == 0 && strcmp(li.name, "api-lib") == 0 && strlen(li.sha256) == 64 &&
              u.calls > 0 && u.total == li.size && u.last <= li.size,
          "praas_library_upload_file: %" PRIu64 " bytes, sha256 %.12s..., %u progress calls "
          "of a total of %" PRIu64, li.size, li.sha256, u.calls, u.total);
    rc = praas_library_list(cl, &list, &n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        found += strcmp(list[i].name, "api-lib") == 0 && strcmp(list[i].sha256, li.sha256) == 0;
    free(list);
    check(rc == 0 && found == 1, "praas_library_list shows it with its sha256 (%zu libraries)",
          n);
    rc = praas_library_upload_file(cl, "api-cancel", path, count_progress, &uc, NULL);
    check(rc == PRAAS_ERR_CANCELED && praas_library_get(cl, "api-cancel", &got) ==
              PRAAS_ERR_NOT_FOUND, "a progress callback that returns 1 cancels the upload, "
          "which stores nothing (%s)", praas_err_name(rc));
    rc = praas_library_upload(cl, "../up", "\177ELF", 4, NULL, NULL, NULL);
    check(rc == PRAAS_ERR_INVALID, "the name '../up' is refused (%s)", praas_err_name(rc));
    rc = praas_library_upload(cl, "api-text", "text", 4, NULL, NULL, NULL);
    check(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "not a shared object"),
          "4 bytes of text are not a shared object (%s)", praas_err_name(rc));
    library = "api-lib";
    rc = make_process(proc, 2);
    library = path;
    if (rc)
        return;
    io.process = proc;
    rc = praas_invoke(cl, NULL, "echo", "named", 5, &io, &r);
    check(rc == 0 && r.len == 5 && memcmp(r.data, "named", 5) == 0,
          "invoke echo in a new session of the process: the payload comes back");
    if (rc == 0)
        praas_result_free(&r);
    rc = praas_library_delete(cl, "api-lib");
    check(rc == PRAAS_ERR_STATE, "praas_library_delete while the process exists: %s",
          praas_err_name(rc));
    praas_process_delete(cl, proc);
    rc = praas_library_delete(cl, "api-lib");
    check(rc == 0 && praas_library_get(cl, "api-lib", &got) == PRAAS_ERR_NOT_FOUND,
          "after the process, the library is deleted (%s)", praas_err_name(rc));
}

int main(int argc, char **argv)
{
    if (argc == 9 && strcmp(argv[3], "restart2") == 0) {
        url = argv[1];
        library = argv[2];
        if (praas_client_open(url, &cl) != 0)
            return check(0, "open a client of %s", url), 0;
        scenario_restart2(argv[4], argv[5], argv[6], argv[7], argv[8]);
        praas_client_close(cl);
        return 0;
    }
    if (argc != 4) {
        fprintf(stderr, "usage: %s CONTROL_URL LIBRARY "
                "basic|swap|idle|kill|hang|placement|restart1|library\n", argv[0]);
        return 2;
    }
    url = argv[1];
    library = argv[2];
    if (praas_client_open(url, &cl) != 0) {
        check(0, "open a client of %s", url);
        return 0;
    }
    if (strcmp(argv[3], "basic") == 0)
        scenario_basic();
    else if (strcmp(argv[3], "swap") == 0)
        scenario_swap();
    else if (strcmp(argv[3], "idle") == 0)
        scenario_idle();
    else if (strcmp(argv[3], "kill") == 0)
        scenario_kill();
    else if (strcmp(argv[3], "hang") == 0)
        scenario_hang();
    else if (strcmp(argv[3], "placement") == 0)
        scenario_placement();
    else if (strcmp(argv[3], "restart1") == 0)
        scenario_restart1();
    else if (strcmp(argv[3], "library") == 0)
        scenario_library();
    else
        check(0, "unknown scenario %s", argv[3]);
    praas_client_close(cl);
    return 0;
}
