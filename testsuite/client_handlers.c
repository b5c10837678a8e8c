/*
 * The client's handlers of a timed-out invocation and of a gone session
 * (praas_client_set_handlers), through the client library against a running
 * praas-control with real praas-process subprocesses (driven by
 * testsuite/client_handlers.sh, which starts the daemon).
 *
 *   client_handlers CONTROL_URL LIBRARY
 *
 * Prints one line per check, "PASS what" or "FAIL what", which the script
 * turns into TAP; exits 0. Checks:
 *   timeouts  without handlers a sleep over timeout_ms fails with
 *             PRAAS_ERR_TIMEOUT; on_timeout is told the session, function,
 *             id and attempt, RETRY once then FAIL gives TIMEOUT after two
 *             timeouts; a call queued behind a busy session's only function
 *             slot gets its result on the retry; a handler that always
 *             retries stops at PRAAS_HANDLER_MAX_ATTEMPTS; an asynchronous
 *             call goes through the handler in its own thread; handlers
 *             removed, today's behaviour again
 *   gone      a deleted session (direct, and through the control plane) and
 *             a session lost with its SIGKILLed subprocess: on_gone is told
 *             the session, allocates a new one and the call runs there;
 *             FAIL gives PRAAS_ERR_PEER at once; a bad or empty new session
 *             fails with PRAAS_ERR_INVALID naming it; an asynchronous call;
 *             an unknown function is not a gone session; handlers removed
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <praas/client.h>
#include <praas/errors.h>

#include "client/http.h"
#include "core/common.h"

#include "testsuite/lib/verdict.h"

#define REC_MAX 32

static const char *url, *library;
static praas_client_t *cl;
static pthread_t main_thread;

static double now_s(void)
{
    return (double)core_now_ns() / 1e9;
}

/* ---- the handlers: what they were told, and what they answer ---- */

enum { GONE_FAIL, GONE_ALLOC, GONE_BAD, GONE_EMPTY };

struct rec {
    pthread_mutex_t lock;
    int retries;          /* on_timeout: RETRY at attempts 1..retries, then FAIL */
    int gone_mode;        /* what on_gone does */
    char proc[PRAAS_ID_MAX]; /* where GONE_ALLOC allocates */
    int n_timeout, n_gone;
    int attempt[REC_MAX];
    uint64_t id[REC_MAX];
    char session[PRAAS_ID_MAX], function[64]; /* as the last call was told */
    char new_session[PRAAS_ID_MAX];
    int in_main;          /* a handler ran in the main thread */
};

static struct rec rec = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Forget what the handlers were told; set what they answer. */
static void rec_reset(int retries, int gone_mode)
{
    pthread_mutex_lock(&rec.lock);
    rec.retries = retries;
    rec.gone_mode = gone_mode;
    rec.n_timeout = rec.n_gone = 0;
    rec.session[0] = rec.function[0] = rec.new_session[0] = '\0';
    rec.in_main = 0;
    memset(rec.attempt, 0, sizeof(rec.attempt));
    memset(rec.id, 0, sizeof(rec.id));
    pthread_mutex_unlock(&rec.lock);
}

static void rec_told(int n, const char *session, const char *function, uint64_t id)
{
    if (n < REC_MAX)
        rec.id[n] = id;
    snprintf(rec.session, sizeof(rec.session), "%s", session);
    snprintf(rec.function, sizeof(rec.function), "%s", function);
    rec.in_main |= pthread_equal(pthread_self(), main_thread);
}

static int h_timeout(void *arg, const char *session, const char *function, uint64_t id,
                     int attempt)
{
    struct rec *r = arg;
    int act;

    pthread_mutex_lock(&r->lock);
    rec_told(r->n_timeout, session, function, id);
    if (r->n_timeout < REC_MAX)
        r->attempt[r->n_timeout] = attempt;
    r->n_timeout++;
    act = attempt <= r->retries ? PRAAS_HANDLER_RETRY : PRAAS_HANDLER_FAIL;
    pthread_mutex_unlock(&r->lock);
    return act;
}

static int h_gone(void *arg, const char *session, const char *function, uint64_t id,
                  char new_session[PRAAS_ID_MAX])
{
    struct rec *r = arg;
    praas_session_info_t info;
    int mode;

    pthread_mutex_lock(&r->lock);
    rec_told(r->n_gone, session, function, id);
    r->n_gone++;
    mode = r->gone_mode;
    pthread_mutex_unlock(&r->lock);
    switch (mode) {
    case GONE_ALLOC:
        /* A client call from the handler: no lock of the client is held. */
        if (praas_session_alloc(cl, r->proc, 0, &info) != 0)
            return PRAAS_HANDLER_FAIL;
        snprintf(new_session, PRAAS_ID_MAX, "%s", info.id);
        pthread_mutex_lock(&r->lock);
        snprintf(r->new_session, sizeof(r->new_session), "%s", info.id);
        pthread_mutex_unlock(&r->lock);
        return PRAAS_HANDLER_RETRY;
    case GONE_BAD:
        snprintf(new_session, PRAAS_ID_MAX, "bad id!");
        return PRAAS_HANDLER_RETRY;
    case GONE_EMPTY:
        return PRAAS_HANDLER_RETRY;
    default:
        return PRAAS_HANDLER_FAIL;
    }
}

static void handlers_on(void)
{
    praas_handlers_t h = {.on_timeout = h_timeout, .on_gone = h_gone, .arg = &rec};

    praas_client_set_handlers(cl, &h);
}

/* ---- helpers ---- */

static int make_process(char id[PRAAS_ID_MAX], int max_functions)
{
    praas_limits_t lim = {.session_memory = 16u << 20, .max_functions = max_functions,
                          .memory_increment = 64u << 10};
    int rc = praas_process_create(cl, NULL, library, &lim, id);

    check(rc == 0, "create a process (max_functions %d): %s", max_functions,
          rc ? "failed" : id);
    return rc;
}

/* A new session of proc, invoked once (echo) so that the client has a
 * direct connection to it. */
static int warm_session(const char *proc, char sid[PRAAS_ID_MAX])
{
    praas_session_info_t info;
    praas_result_t r;
    int rc = praas_session_alloc(cl, proc, 0, &info);

    if (rc == 0) {
        snprintf(sid, PRAAS_ID_MAX, "%s", info.id);
        rc = praas_invoke(cl, sid, "echo", "warm", 4, NULL, &r);
    }
    if (rc == 0)
        praas_result_free(&r);
    else
        check(0, "allocate and warm a session of %s", proc);
    return rc;
}

static int sleep_call(const char *sid, uint32_t ms, int timeout_ms, uint64_t id)
{
    praas_invoke_opts_t o = {.timeout_ms = timeout_ms, .id = id};
    praas_result_t r;
    int rc = praas_invoke(cl, sid, "sleep_ms", &ms, sizeof(ms), &o, &r);

    if (rc == 0)
        praas_result_free(&r);
    return rc;
}

static int has(const char *msg, const char *what)
{
    return strstr(msg, what) != NULL;
}

static long session_pid(const char *sid)
{
    return cp_session_pid(url, sid);
}

/* Whether session sid is reported lost within limit_s seconds. */
static int wait_lost(const char *sid, double limit_s)
{
    praas_session_info_t info;
    double t0 = now_s();
    int lost = 0;

    while (now_s() - t0 < limit_s && !lost) {
        usleep(50000);
        lost = praas_session_get(cl, sid, &info) == 0 && strcmp(info.state, "lost") == 0;
    }
    return lost;
}

/* ---- timeouts ---- */

static void timeouts_retry_fail(const char *proc)
{
    char sid[PRAAS_ID_MAX];
    uint64_t first = 0x5eed0001;
    double t0;
    int rc;

    if (warm_session(proc, sid) < 0)
        return;
    handlers_on();
    rec_reset(1, GONE_FAIL);
    t0 = now_s();
    rc = sleep_call(sid, 1500, 200, first);
    double dt = now_s() - t0;
    check(rc == PRAAS_ERR_TIMEOUT && dt >= 0.39, "RETRY once then FAIL: PRAAS_ERR_TIMEOUT "
          "after two timeouts of 200 ms (%.2f s, %s)", dt, praas_err_name(rc));
    check(rc != 0 && has(praas_errmsg(), sid) && has(praas_errmsg(), "sleep_ms") &&
              has(praas_errmsg(), "on_timeout"), "the message names the session, the "
          "function and the handler's FAIL");
    check(rec.n_timeout == 2 && rec.attempt[0] == 1 && rec.attempt[1] == 2,
          "on_timeout was called twice, at attempts 1 and 2 (%d calls: %d, %d)",
          rec.n_timeout, rec.attempt[0], rec.attempt[1]);
    check(strcmp(rec.session, sid) == 0 && strcmp(rec.function, "sleep_ms") == 0,
          "on_timeout was told session %s and function sleep_ms (%s, %s)", sid, rec.session,
          rec.function);
    check(rec.id[0] == first && rec.id[1] != first && rec.id[1] != 0,
          "it was told id %#" PRIx64 " first, then the retry's new id (%#" PRIx64 ", %#"
          PRIx64 ")", first, rec.id[0], rec.id[1]);
    check(rec.in_main, "the handler of a synchronous call ran in the calling thread");
}

/* The session's only function slot is busy: the first attempt times out
 * in the queue, the retry runs once the slot is free. */
static void timeouts_busy_slot(void)
{
    char proc[PRAAS_ID_MAX], sid[PRAAS_ID_MAX];
    praas_invoke_opts_t o = {.timeout_ms = 1200};
    praas_call_t *blocker = NULL;
    praas_result_t r, rb;
    uint32_t ms = 2000;
    int rc;

    if (make_process(proc, 1) < 0 || warm_session(proc, sid) < 0)
        return;
    praas_client_set_handlers(cl, NULL);
    rc = praas_invoke_async(cl, sid, "sleep_ms", &ms, sizeof(ms), NULL, &blocker);
    if (!check(rc == 0, "start a 2 s sleep in a session with one function slot"))
        return;
    usleep(300000);
    handlers_on();
    rec_reset(5, GONE_FAIL);
    rc = praas_invoke(cl, sid, "echo", "second try", 10, &o, &r);
    check(rc == 0 && r.len == 10 && memcmp(r.data, "second try", 10) == 0,
          "an echo queued behind it (timeout 1.2 s) gets its result on the retry (%s)",
          praas_err_name(rc));
    check(rec.n_timeout == 1 && rec.attempt[0] == 1 && strcmp(rec.function, "echo") == 0,
          "on_timeout was called once, at attempt 1, for echo (%d calls)", rec.n_timeout);
    check(rc == 0 && r.id != rec.id[0] && r.id != 0, "result.id is the retry's id (%#" PRIx64
          ", the first was %#" PRIx64 ")", rc == 0 ? r.id : 0, rec.id[0]);
    if (rc == 0)
        praas_result_free(&r);
    rc = praas_call_wait(blocker, 10000, &rb);
    if (rc == 0)
        praas_result_free(&rb);
    check(rc == 0, "the sleep completes (%s)", praas_err_name(rc));
    praas_process_delete(cl, proc);
}

static void timeouts_bound(const char *proc)
{
    char sid[PRAAS_ID_MAX];
    int ok = 1, distinct = 1;
    double t0;
    int rc;

    if (warm_session(proc, sid) < 0)
        return;
    handlers_on();
    rec_reset(1000, GONE_FAIL);
    t0 = now_s();
    rc = sleep_call(sid, 300, 40, 0);
    double dt = now_s() - t0;
    check(rc == PRAAS_ERR_TIMEOUT && has(praas_errmsg(), "PRAAS_HANDLER_MAX_ATTEMPTS"),
          "a handler that always says RETRY: PRAAS_ERR_TIMEOUT after %d attempts, named (%s, "
          "%.2f s)", PRAAS_HANDLER_MAX_ATTEMPTS, praas_err_name(rc), dt);
    for (int i = 0; i < PRAAS_HANDLER_MAX_ATTEMPTS - 1 && i < REC_MAX; i++) {
        ok &= rec.attempt[i] == i + 1;
        for (int j = 0; j < i; j++)
            distinct &= rec.id[i] != rec.id[j];
    }
    check(rec.n_timeout == PRAAS_HANDLER_MAX_ATTEMPTS - 1 && ok && distinct,
          "on_timeout was asked %d times (attempts 1 to %d in order, each a new id): %d",
          PRAAS_HANDLER_MAX_ATTEMPTS - 1, PRAAS_HANDLER_MAX_ATTEMPTS - 1, rec.n_timeout);
    check(dt >= PRAAS_HANDLER_MAX_ATTEMPTS * 0.04 - 0.01, "each attempt waited its own 40 ms "
          "(%.2f s in all)", dt);
}

static void timeouts_async_and_off(const char *proc)
{
    char sid[PRAAS_ID_MAX];
    praas_invoke_opts_t o = {.timeout_ms = 150};
    praas_call_t *call = NULL;
    praas_result_t r;
    uint32_t ms = 800;
    uint64_t cid = 0;
    int rc;

    if (warm_session(proc, sid) < 0)
        return;
    handlers_on();
    rec_reset(1, GONE_FAIL);
    rc = praas_invoke_async(cl, sid, "sleep_ms", &ms, sizeof(ms), &o, &call);
    if (rc == 0) {
        cid = praas_call_id(call);
        rc = praas_call_wait(call, 20000, &r);
        if (rc == 0)
            praas_result_free(&r);
    }
    check(rc == PRAAS_ERR_TIMEOUT && rec.n_timeout == 2 && rec.attempt[1] == 2 &&
              rec.id[0] == cid && strcmp(rec.session, sid) == 0,
          "an asynchronous call: on_timeout told its id and attempts 1, 2; TIMEOUT (%s, %d "
          "calls)", praas_err_name(rc), rec.n_timeout);
    check(rec.n_timeout > 0 && !rec.in_main, "its handler ran in the call's own thread");

    praas_client_set_handlers(cl, NULL);
    rec_reset(5, GONE_FAIL);
    rc = sleep_call(sid, 800, 150, 0);
    check(rc == PRAAS_ERR_TIMEOUT && rec.n_timeout == 0, "handlers removed (NULL): "
          "PRAAS_ERR_TIMEOUT at once, no handler called (%s, %d calls)", praas_err_name(rc),
          rec.n_timeout);
}

static void scenario_timeouts(void)
{
    char proc[PRAAS_ID_MAX], sid[PRAAS_ID_MAX];
    int rc;

    if (make_process(proc, 2) < 0 || warm_session(proc, sid) < 0)
        return;
    praas_client_set_handlers(cl, NULL);
    rc = sleep_call(sid, 1000, 200, 0);
    check(rc == PRAAS_ERR_TIMEOUT, "no handlers: a 1 s sleep with timeout_ms 200 fails with "
          "PRAAS_ERR_TIMEOUT (%s)", praas_err_name(rc));
    timeouts_retry_fail(proc);
    timeouts_busy_slot();
    timeouts_bound(proc);
    timeouts_async_and_off(proc);
    praas_client_set_handlers(cl, NULL);
    praas_process_delete(cl, proc);
}

/* ---- gone sessions ---- */

/* Invoke echo with text in sid; on_gone (GONE_ALLOC) must move the call
 * to a new session that answers it. */
static void gone_moves(const char *sid, const char *text, const char *how,
                       const praas_invoke_opts_t *o)
{
    praas_result_t r;
    size_t n = strlen(text);
    int rc;

    rec_reset(0, GONE_ALLOC);
    rc = praas_invoke(cl, sid, "echo", text, n, o, &r);
    check(rc == 0 && r.len == n && memcmp(r.data, text, n) == 0 && rec.new_session[0] &&
              strcmp(r.session, rec.new_session) == 0 && strcmp(r.session, sid) != 0,
          "%s: on_gone allocates a new session, the call runs there (result.session %s, "
          "allocated %s; %s)", how, rc == 0 ? r.session : "-", rec.new_session,
          praas_err_name(rc));
    check(rec.n_gone == 1 && strcmp(rec.session, sid) == 0 &&
              strcmp(rec.function, "echo") == 0 && (rc != 0 || rec.id[0] == r.id),
          "%s: on_gone was called once, told session %s, function echo and the call's id "
          "(%d calls, %s, %s)", how, sid, rec.n_gone, rec.session, rec.function);
    if (rc == 0)
        praas_result_free(&r);
}

static void gone_deleted(const char *proc)
{
    char d[PRAAS_ID_MAX];
    praas_session_info_t info;
    praas_client_t *cl2 = NULL;
    praas_invoke_opts_t via = {.flags = PRAAS_INVOKE_VIA_CONTROL};
    int rc;

    /* Deleted by another client: this one's direct connection finds it gone. */
    if (warm_session(proc, d) < 0)
        return;
    rc = praas_client_open(url, &cl2);
    rc = rc ? rc : praas_session_delete(cl2, d);
    praas_client_close(cl2);
    if (!check(rc == 0, "another client deletes session %s", d))
        return;
    gone_moves(d, "after the delete", "a deleted session, direct", NULL);

    /* Deleted by this one: the call goes through the control plane. */
    rc = praas_session_alloc(cl, proc, 0, &info);
    rc = rc ? rc : praas_session_delete(cl, info.id);
    if (!check(rc == 0, "allocate and delete session %s", info.id))
        return;
    gone_moves(info.id, "through the control plane", "a deleted session, control plane",
               &via);
}

/* An unknown function in a live session is the function's NOT_FOUND, not a
 * gone session. */
static void gone_not_function(const char *proc)
{
    char sid[PRAAS_ID_MAX];
    praas_invoke_opts_t via = {.flags = PRAAS_INVOKE_VIA_CONTROL};
    praas_result_t r;
    int rc, rc2;

    if (warm_session(proc, sid) < 0)
        return;
    rec_reset(0, GONE_ALLOC);
    rc = praas_invoke(cl, sid, "nope", "x", 1, NULL, &r);
    rc2 = praas_invoke(cl, sid, "nope", "x", 1, &via, &r);
    check(rc == PRAAS_ERR_NOT_FOUND && rc2 == PRAAS_ERR_NOT_FOUND && rec.n_gone == 0,
          "an unknown function in a live session: PRAAS_ERR_NOT_FOUND, direct and through the "
          "control plane, on_gone not called (%s, %s, %d calls)", praas_err_name(rc),
          praas_err_name(rc2), rec.n_gone);
}

static void gone_killed(const char *proc)
{
    char b[PRAAS_ID_MAX], c[PRAAS_ID_MAX];
    praas_call_t *call = NULL;
    praas_result_t r;
    double t0;
    long pid;
    int rc;

    if (warm_session(proc, b) < 0 || warm_session(proc, c) < 0)
        return;
    pid = session_pid(b);
    if (!check(pid > 0 && pid == session_pid(c), "sessions B and C live in one subprocess "
               "(pid %ld)", pid))
        return;
    kill((pid_t)pid, SIGKILL);
    check(wait_lost(b, 10) && wait_lost(c, 10), "after SIGKILL of the subprocess, B and C are "
          "reported lost");
    gone_moves(b, "after the kill", "a session lost with its subprocess", NULL);

    rec_reset(0, GONE_FAIL);
    t0 = now_s();
    rc = praas_invoke(cl, c, "echo", "x", 1, NULL, &r);
    double dt = now_s() - t0;
    check(rc == PRAAS_ERR_PEER && dt < 5 && rec.n_gone == 1 && strcmp(rec.session, c) == 0,
          "on_gone says FAIL: PRAAS_ERR_PEER in %.2f s, not a hang (%s, %d calls)", dt,
          praas_err_name(rc), rec.n_gone);
    check(rc != 0 && has(praas_errmsg(), c) && has(praas_errmsg(), "echo") &&
              has(praas_errmsg(), "on_gone"), "the message names the session, the function "
          "and the handler's FAIL");

    rec_reset(0, GONE_BAD);
    rc = praas_invoke(cl, c, "echo", "x", 1, NULL, &r);
    check(rc == PRAAS_ERR_INVALID && has(praas_errmsg(), "'bad id!'") && rec.n_gone == 1,
          "on_gone gives 'bad id!': PRAAS_ERR_INVALID naming it (%s)", praas_err_name(rc));
    rec_reset(0, GONE_EMPTY);
    rc = praas_invoke(cl, c, "echo", "x", 1, NULL, &r);
    check(rc == PRAAS_ERR_INVALID && has(praas_errmsg(), "new session ''"),
          "on_gone gives an empty session: PRAAS_ERR_INVALID naming it (%s)",
          praas_err_name(rc));

    rec_reset(0, GONE_ALLOC);
    rc = praas_invoke_async(cl, c, "echo", "async", 5, NULL, &call);
    if (rc == 0)
        rc = praas_call_wait(call, 30000, &r);
    check(rc == 0 && r.len == 5 && memcmp(r.data, "async", 5) == 0 && rec.n_gone == 1 &&
              strcmp(r.session, rec.new_session) == 0 && !rec.in_main,
          "an asynchronous call: on_gone in the call's thread moves it to %s (%s)",
          rec.new_session, praas_err_name(rc));
    if (rc == 0)
        praas_result_free(&r);

    praas_client_set_handlers(cl, NULL);
    rec_reset(0, GONE_ALLOC);
    t0 = now_s();
    rc = praas_invoke(cl, c, "echo", "x", 1, NULL, &r);
    dt = now_s() - t0;
    check(rc == PRAAS_ERR_PEER && has(praas_errmsg(), "is gone") && rec.n_gone == 0 && dt < 5,
          "handlers removed (NULL): PRAAS_ERR_PEER, session gone, in %.2f s, no handler "
          "called (%s)", dt, praas_err_name(rc));
}

static void scenario_gone(void)
{
    char proc[PRAAS_ID_MAX];

    if (make_process(proc, 2) < 0)
        return;
    snprintf(rec.proc, sizeof(rec.proc), "%s", proc);
    handlers_on();
    gone_deleted(proc);
    gone_not_function(proc);
    gone_killed(proc);
    praas_client_set_handlers(cl, NULL);
    praas_process_delete(cl, proc);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s CONTROL_URL LIBRARY\n", argv[0]);
        return 2;
    }
    url = argv[1];
    library = argv[2];
    main_thread = pthread_self();
    if (praas_client_open(url, &cl) != 0) {
        check(0, "open a client of %s", url);
        return 0;
    }
    check(praas_client_set_handlers(NULL, NULL) == PRAAS_ERR_INVALID,
          "praas_client_set_handlers(NULL, ...) is refused");
    scenario_timeouts();
    scenario_gone();
    praas_client_close(cl);
    return 0;
}
