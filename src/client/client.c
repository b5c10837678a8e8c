/*
 * The public client library (praas/client.h): control-plane calls over
 * http.c, and invocations, the first through the control plane and the
 * later ones straight to the session over a data-plane connection
 * (runtime/dp.h) that the client opens.
 *
 * The client keeps one direct connection per session it has invoked, in a
 * small list guarded by the client's lock. A connection is reference
 * counted: a call holds it while it waits, so that another thread that
 * finds the session gone can replace it without closing it under the call.
 *
 * Asynchronous calls run the synchronous path in a thread of their own: a
 * data-plane call blocks only its thread, and the replies of many calls on
 * one connection are matched by id (dp.h), so they overlap. The thread is
 * joined when the call is waited for (detached when it is abandoned).
 *
 * cl_invoke_once here is one attempt of an invocation; handlers.c wraps it
 * in the attempts that the client's handlers (a timeout, a gone session)
 * ask for.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <praas/client.h>

#include "client/client_int.h"
#include "client/http.h"
#include "core/common.h"
#include "core/error.h"
#include "runtime/dp.h"

#define CL_INVOKE_TIMEOUT_MS 300000
#define CL_CONNECT_TIMEOUT_MS 10000
#define CL_ID_LIMIT (1ull << 62)

struct cl_dconn {
    struct rt_conn *conn;
    char endpoint[PRAAS_ENDPOINT_MAX];
    unsigned refs;
};

struct cl_sess {
    char sid[PRAAS_ID_MAX];
    struct cl_dconn *dc; /* NULL until the first invocation answered */
    struct cl_sess *next;
};

struct praas_client {
    char *url;
    pthread_mutex_t lock;
    struct cl_sess *sessions;
    praas_handlers_t handlers; /* under lock; all NULL: none */
    uint64_t id_base;
    atomic_uint_fast64_t next_id;
};

PRAAS_API int praas_client_open(const char *control_url, praas_client_t **cl_p)
{
    praas_client_t *cl;
    size_t n;

    if (cl_p == NULL)
        return core_err(PRAAS_ERR_INVALID, "praas_client_open: cl_p is NULL");
    if (control_url == NULL)
        control_url = getenv("PRAAS_CONTROL");
    if (control_url == NULL || *control_url == '\0')
        return core_err(PRAAS_ERR_INVALID, "no control-plane URL: pass one or set "
                        "PRAAS_CONTROL");
    if (strncmp(control_url, "http://", 7) != 0 && strncmp(control_url, "https://", 8) != 0)
        return core_err(PRAAS_ERR_INVALID, "control-plane URL '%s' does not start with "
                        "http:// or https://", control_url);
    cl = calloc(1, sizeof(*cl));
    if (cl == NULL || (cl->url = strdup(control_url)) == NULL) {
        free(cl);
        return core_err(PRAAS_ERR_NOMEM, "no memory for a client");
    }
    n = strlen(cl->url);
    while (n > 0 && cl->url[n - 1] == '/')
        cl->url[--n] = '\0';
    /* Ids of different clients of one session should not collide: start
     * at a random point of the 2^62 ids a client may use. */
    if (getrandom(&cl->id_base, sizeof(cl->id_base), GRND_NONBLOCK) != sizeof(cl->id_base))
        cl->id_base = core_now_ns() * 2654435761u;
    cl->id_base &= (CL_ID_LIMIT >> 1) - 1;
    atomic_init(&cl->next_id, 1);
    pthread_mutex_init(&cl->lock, NULL);
    *cl_p = cl;
    return 0;
}

const char *cl_client_url(const praas_client_t *cl)
{
    return cl->url;
}

static void cl_dc_put(praas_client_t *cl, struct cl_dconn *dc)
{
    int last;

    pthread_mutex_lock(&cl->lock);
    last = --dc->refs == 0;
    pthread_mutex_unlock(&cl->lock);
    if (last) {
        rt_conn_close(dc->conn);
        free(dc);
    }
}

PRAAS_API void praas_client_close(praas_client_t *cl)
{
    if (cl == NULL)
        return;
    while (cl->sessions) {
        struct cl_sess *s = cl->sessions;
        cl->sessions = s->next;
        if (s->dc)
            cl_dc_put(cl, s->dc);
        free(s);
    }
    pthread_mutex_destroy(&cl->lock);
    free(cl->url);
    free(cl);
}

PRAAS_API int praas_client_set_handlers(praas_client_t *cl, const praas_handlers_t *h)
{
    praas_handlers_t none = {0};

    if (cl == NULL)
        return core_err(PRAAS_ERR_INVALID, "praas_client_set_handlers: cl is NULL");
    pthread_mutex_lock(&cl->lock);
    cl->handlers = h ? *h : none;
    pthread_mutex_unlock(&cl->lock);
    return 0;
}

/* A copy of the client's handlers, taken when a call starts. */
static void cl_handlers_get(praas_client_t *cl, praas_handlers_t *h)
{
    pthread_mutex_lock(&cl->lock);
    *h = cl->handlers;
    pthread_mutex_unlock(&cl->lock);
}

/* ---- helpers ---- */

uint64_t cl_new_id(praas_client_t *cl)
{
    uint64_t id;

    do
        id = (cl->id_base + atomic_fetch_add(&cl->next_id, 1)) & (CL_ID_LIMIT - 1);
    while (id == 0);
    return id;
}

int cl_id_check(const char *what, const char *id)
{
    size_t n = id ? strlen(id) : 0;

    if (n == 0 || n > 64)
        return core_err(PRAAS_ERR_INVALID, "%s '%s' is not 1 to 64 characters", what,
                        id ? id : "(null)");
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return core_err(PRAAS_ERR_INVALID, "%s '%s' has a character outside "
                            "[A-Za-z0-9_.-]", what, id);
    }
    return 0;
}

int cl_session_path(const char *session, const char *suffix, char path[160])
{
    int rc = cl_id_check("session id", session);

    if (rc == 0)
        snprintf(path, 160, "/v1/sessions/%s%s", session, suffix);
    return rc;
}

int cl_process_path(const char *process, const char *suffix, char path[160])
{
    int rc = cl_id_check("process id", process);

    if (rc == 0)
        snprintf(path, 160, "/v1/processes/%s%s", process, suffix);
    return rc;
}

PRAAS_API int praas_session_delete(praas_client_t *cl, const char *session)
{
    char path[160];
    int rc = cl_session_path(session, "", path);
    struct cl_sess **pp;

    if (rc)
        return rc;
    rc = cl_http_request(cl->url, "DELETE", path, NULL, CL_TIMEOUT_MS, NULL, NULL);
    /* Forget the direct connection either way: the session is gone. */
    pthread_mutex_lock(&cl->lock);
    for (pp = &cl->sessions; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->sid, session) == 0) {
            struct cl_sess *s = *pp;
            *pp = s->next;
            pthread_mutex_unlock(&cl->lock);
            if (s->dc)
                cl_dc_put(cl, s->dc);
            free(s);
            return rc;
        }
    }
    pthread_mutex_unlock(&cl->lock);
    return rc;
}

/* ---- direct connections ---- */

/* The direct connection of session sid, referenced, or NULL. */
static struct cl_dconn *cl_dc_get(praas_client_t *cl, const char *sid)
{
    struct cl_dconn *dc = NULL;

    pthread_mutex_lock(&cl->lock);
    for (struct cl_sess *s = cl->sessions; s; s = s->next) {
        if (strcmp(s->sid, sid) == 0) {
            dc = s->dc;
            if (dc)
                dc->refs++;
            break;
        }
    }
    pthread_mutex_unlock(&cl->lock);
    return dc;
}

/* Make dc (NULL: none) the direct connection of sid, replacing old only if
 * old is still the current one (NULL: whatever is there). */
static int cl_dc_set(praas_client_t *cl, const char *sid, struct cl_dconn *dc,
                     struct cl_dconn *old)
{
    struct cl_dconn *drop = NULL;
    struct cl_sess *s;

    pthread_mutex_lock(&cl->lock);
    for (s = cl->sessions; s && strcmp(s->sid, sid) != 0; s = s->next)
        ;
    if (s == NULL && dc) {
        s = calloc(1, sizeof(*s));
        if (s == NULL) {
            pthread_mutex_unlock(&cl->lock);
            return core_err(PRAAS_ERR_NOMEM, "no memory for a session's connection");
        }
        snprintf(s->sid, sizeof(s->sid), "%s", sid);
        s->next = cl->sessions;
        cl->sessions = s;
    }
    if (s && (old == NULL || s->dc == old)) {
        drop = s->dc;
        s->dc = dc;
        dc = NULL;
    }
    pthread_mutex_unlock(&cl->lock);
    if (drop)
        cl_dc_put(cl, drop);
    if (dc) /* someone else installed a newer one */
        cl_dc_put(cl, dc);
    return 0;
}

/* Connect to sid at endpoint and bind the connection to it (HELLO). */
static int cl_dc_connect(praas_client_t *cl, const char *sid, const char *endpoint)
{
    struct cl_dconn *dc = calloc(1, sizeof(*dc));
    int rc;

    if (dc == NULL)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a connection");
    snprintf(dc->endpoint, sizeof(dc->endpoint), "%s", endpoint);
    dc->refs = 1;
    rc = rt_conn_open(endpoint, CL_CONNECT_TIMEOUT_MS, &dc->conn);
    if (rc == 0)
        rc = rt_conn_call(dc->conn, RT_MSG_HELLO, 0, sid, NULL, NULL, 0, CL_CONNECT_TIMEOUT_MS,
                          NULL, NULL, NULL);
    if (rc < 0) {
        if (dc->conn)
            rt_conn_close(dc->conn);
        free(dc);
        return rc;
    }
    return cl_dc_set(cl, sid, dc, NULL);
}

/* ---- invocations ---- */

static int cl_timeout(const praas_invoke_opts_t *o)
{
    return o->timeout_ms == 0 ? CL_INVOKE_TIMEOUT_MS : o->timeout_ms < 0 ? -1 : o->timeout_ms;
}

/* The data-plane meta of an invocation as JSON text (doc/invoke.md): its
 * length, 0 for none, into buf (cap bytes); -1 if it does not fit. Every
 * member is an integer, so the text is printed, not built. */
static int cl_meta_text(const praas_invoke_opts_t *o, char *buf, size_t cap)
{
    size_t n = 0;
    int k;

#define CL_PUT(...)                                                                            \
    do {                                                                                       \
        k = snprintf(buf + n, cap - n, __VA_ARGS__);                                           \
        if (k < 0 || (size_t)k >= cap - n)                                                     \
            return -1;                                                                         \
        n += (size_t)k;                                                                        \
    } while (0)
    if (!o->ndeps && o->nargs <= 1 && o->timeout_ms <= 0)
        return 0;
    CL_PUT("{");
    for (size_t i = 0; i < o->ndeps; i++)
        CL_PUT("%s%" PRIu64, i ? "," : "\"deps\":[", o->deps[i]);
    if (o->ndeps)
        CL_PUT("]");
    if (o->nargs > 1)
        CL_PUT("%s\"nargs\":%d,\"arg\":%d", n > 1 ? "," : "", o->nargs, o->arg);
    if (o->timeout_ms > 0)
        CL_PUT("%s\"timeout_ms\":%d", n > 1 ? "," : "", o->timeout_ms);
    CL_PUT("}");
#undef CL_PUT
    return (int)n;
}

/* Copy the string src into dst (cap bytes), cut if longer. */
static void cl_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);

    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int cl_call_direct(struct cl_dconn *dc, const char *sid, const char *fn,
                          const void *payload, size_t len, const praas_invoke_opts_t *o,
                          uint64_t id, praas_result_t *res)
{
    char small[256], *meta = small, rmeta[128];
    void *out = NULL;
    size_t outlen = 0;
    int mlen, rc;

    mlen = cl_meta_text(o, small, sizeof(small));
    if (mlen < 0) {
        /* Many dependencies: 21 bytes each at most. */
        size_t cap = 128 + o->ndeps * 21;
        if (!(meta = malloc(cap)))
            return core_err(PRAAS_ERR_NOMEM, "no memory for an invocation's meta section");
        mlen = cl_meta_text(o, meta, cap);
    }
    rc = rt_conn_call_text(dc->conn, RT_MSG_INVOKE, id, fn, meta, (size_t)mlen, payload, len,
                           cl_timeout(o), rmeta, sizeof(rmeta), &out, &outlen);
    if (meta != small)
        free(meta);
    if (rc < 0)
        return rc;
    memset(res, 0, sizeof(*res));
    res->data = out;
    res->len = outlen;
    res->id = id;
    res->direct = 1;
    cl_copy(res->session, sizeof(res->session), sid);
    cl_copy(res->endpoint, sizeof(res->endpoint), dc->endpoint);
    /* Usage figures are informative: a reply without them leaves 0. */
    if (rmeta[0]) {
        if (rt_meta_u64(rmeta, "cpu_ns", &res->cpu_ns) < 0 ||
            rt_meta_u64(rmeta, "wall_ns", &res->wall_ns) < 0)
            core_err_clear();
    }
    return 0;
}

/* Whether the control plane has no session sid: asked after an
 * invocation's 404, which may as well mean no such function. The call's
 * error rc, code and message, is kept. */
static int cl_session_missing(praas_client_t *cl, const char *sid, int rc)
{
    praas_session_info_t info;
    char msg[512];
    int missing;

    snprintf(msg, sizeof(msg), "%s", praas_errmsg());
    missing = praas_session_get(cl, sid, &info) == PRAAS_ERR_NOT_FOUND;
    core_err(rc, "%s", msg);
    return missing;
}

/* Through the control plane: in session sid, or in a new session of
 * o->process when sid is NULL. *gone_p (gone_p may be NULL) is set when
 * session sid is lost (410) or does not exist. */
static int cl_call_control(praas_client_t *cl, const char *sid, const char *fn,
                           const void *payload, size_t len, const praas_invoke_opts_t *o,
                           uint64_t id, int *gone_p, praas_result_t *res)
{
    struct cl_raw r = {.body = payload, .len = len};
    char *path = NULL, *q;
    size_t cap = 512 + o->ndeps * 21, off;
    void *out = NULL;
    size_t outlen = 0;
    long status = 0;
    int rc, tmo = cl_timeout(o);

    path = malloc(cap);
    if (path == NULL)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a request");
    if (sid)
        off = (size_t)snprintf(path, cap, "/v1/sessions/%s/invoke/%s?id=%" PRIu64, sid, fn, id);
    else
        off = (size_t)snprintf(path, cap, "/v1/processes/%s/invoke/%s?id=%" PRIu64, o->process,
                               fn, id);
    q = path + off;
    if (!sid && o->memory)
        q += sprintf(q, "&memory=%zu", o->memory);
    if (o->nargs > 1)
        q += sprintf(q, "&nargs=%d&arg=%d", o->nargs, o->arg);
    if (o->timeout_ms > 0)
        q += sprintf(q, "&timeout_ms=%d", o->timeout_ms);
    for (size_t i = 0; i < o->ndeps; i++)
        q += sprintf(q, "%s%" PRIu64, i ? "," : "&deps=", o->deps[i]);
    r.timeout_ms = tmo < 0 ? 0 : tmo + CL_CP_SLACK_MS;
    rc = cl_http_raw(cl->url, "POST", path, &r, &status, &out, &outlen);
    free(path);
    if (rc < 0) {
        if (gone_p && sid &&
            (status == 410 || (status == 404 && cl_session_missing(cl, sid, rc))))
            *gone_p = 1;
        return rc;
    }
    memset(res, 0, sizeof(*res));
    res->data = out;
    res->len = outlen;
    res->id = r.invocation ? r.invocation : id;
    snprintf(res->session, sizeof(res->session), "%s", r.session[0] ? r.session : sid ? sid
                                                                                     : "");
    snprintf(res->endpoint, sizeof(res->endpoint), "%s", r.endpoint);
    res->cpu_ns = r.cpu_ns;
    res->wall_ns = r.wall_ns;
    /* Later calls go straight to the session; if the connection cannot be
     * made now, the next call simply goes through the control plane. */
    if (!(o->flags & PRAAS_INVOKE_VIA_CONTROL) && r.endpoint[0] && res->session[0])
        cl_dc_connect(cl, res->session, r.endpoint);
    return 0;
}

/* The direct call failed as if the session were not there: ask the
 * control plane where it is (swapping it in if it was swapped out),
 * reconnect and retry once. *gone_p as for cl_call_control. */
static int cl_call_gone(praas_client_t *cl, struct cl_dconn *dc, int why, const char *sid,
                        const char *fn, const void *payload, size_t len,
                        const praas_invoke_opts_t *o, uint64_t id, int *gone_p,
                        praas_result_t *res)
{
    praas_session_info_t info;
    char first[512];
    int rc;

    snprintf(first, sizeof(first), "%s", praas_errmsg());
    cl_dc_set(cl, sid, NULL, dc);
    rc = praas_session_retrieve(cl, sid, &info);
    if (rc == PRAAS_ERR_NOT_FOUND || rc == PRAAS_ERR_PEER) {
        if (gone_p)
            *gone_p = 1;
        return core_err(PRAAS_ERR_PEER, "session %s is gone: %s (the direct call said: %s)",
                        sid, praas_errmsg(), first);
    }
    if (rc < 0)
        return rc;
    if (info.endpoint[0] == '\0' || cl_dc_connect(cl, sid, info.endpoint) < 0)
        return cl_call_control(cl, sid, fn, payload, len, o, id, gone_p, res);
    dc = cl_dc_get(cl, sid);
    if (dc == NULL)
        return cl_call_control(cl, sid, fn, payload, len, o, id, gone_p, res);
    rc = cl_call_direct(dc, sid, fn, payload, len, o, id, res);
    cl_dc_put(cl, dc);
    if (rc == PRAAS_ERR_PEER && why == PRAAS_ERR_PEER)
        return core_err(PRAAS_ERR_PEER, "session %s is gone: the connection to it broke "
                        "twice (%s)", sid, praas_errmsg());
    return rc;
}

int cl_invoke_once(praas_client_t *cl, const char *sid, const char *fn, const void *payload,
                   size_t len, const praas_invoke_opts_t *o, uint64_t id, int *gone_p,
                   praas_result_t *res)
{
    struct cl_dconn *dc;
    int rc;

    if (sid == NULL)
        return cl_call_control(cl, NULL, fn, payload, len, o, id, NULL, res);
    if (!(o->flags & PRAAS_INVOKE_VIA_CONTROL) && (dc = cl_dc_get(cl, sid)) != NULL) {
        rc = cl_call_direct(dc, sid, fn, payload, len, o, id, res);
        /* The connection broke, or the subprocess no longer has the
         * session (its reply says so): find the session again. A
         * NOT_FOUND without that mark is the function's own answer. */
        if (rc == PRAAS_ERR_PEER || (rc == PRAAS_ERR_NOT_FOUND && rt_conn_session_gone()))
            rc = cl_call_gone(cl, dc, rc, sid, fn, payload, len, o, id, gone_p, res);
        cl_dc_put(cl, dc);
        return rc;
    }
    rc = cl_call_control(cl, sid, fn, payload, len, o, id, gone_p, res);
    if (rc == PRAAS_ERR_PEER)
        return core_err(PRAAS_ERR_PEER, "session %s is gone: %s", sid, praas_errmsg());
    return rc;
}

static int cl_invoke_check(praas_client_t *cl, const char *session, const char *function,
                           const void *payload, size_t len, const praas_invoke_opts_t *o)
{
    int rc = 0;

    if (cl == NULL || function == NULL || (payload == NULL && len))
        return core_err(PRAAS_ERR_INVALID, "praas_invoke: NULL client, function or payload");
    if (session && (rc = cl_id_check("session id", session)) < 0)
        return rc;
    if (!session && o->process == NULL)
        return core_err(PRAAS_ERR_INVALID, "praas_invoke: no session and no opts->process to "
                        "make one in");
    if (!session && (rc = cl_id_check("process id", o->process)) < 0)
        return rc;
    if (strlen(function) == 0 || strlen(function) >= RT_NAME_MAX ||
        strspn(function, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
            strlen(function))
        return core_err(PRAAS_ERR_INVALID, "function name '%.80s' is not a C identifier",
                        function);
    if (o->id >= CL_ID_LIMIT)
        return core_err(PRAAS_ERR_INVALID, "invocation id %" PRIu64 " is not below 2^62",
                        o->id);
    if (o->nargs > 1 && (o->arg < 0 || o->arg >= o->nargs || o->id == 0))
        return core_err(PRAAS_ERR_INVALID, "a multi-source invocation of %d arguments needs "
                        "an id shared by its callers and arg in [0, %d), not %d", o->nargs,
                        o->nargs, o->arg);
    return 0;
}

PRAAS_API void praas_result_free(praas_result_t *r)
{
    if (r) {
        free(r->data);
        r->data = NULL;
        r->len = 0;
    }
}

PRAAS_API int praas_invoke(praas_client_t *cl, const char *session, const char *function,
                           const void *payload, size_t len, const praas_invoke_opts_t *opts,
                           praas_result_t *result)
{
    praas_invoke_opts_t def = {0};
    praas_handlers_t h;
    praas_result_t res;
    int rc;

    if (opts == NULL)
        opts = &def;
    if (result == NULL)
        return core_err(PRAAS_ERR_INVALID, "praas_invoke: result is NULL");
    rc = cl_invoke_check(cl, session, function, payload, len, opts);
    if (rc < 0)
        return rc;
    cl_handlers_get(cl, &h);
    rc = cl_invoke(cl, session, function, payload, len, opts,
                   opts->id ? opts->id : cl_new_id(cl), &h, &res);
    if (rc == 0)
        *result = res;
    return rc;
}

/* ---- asynchronous calls ---- */

struct praas_call {
    praas_client_t *cl;
    char session[PRAAS_ID_MAX];
    int has_session;
    char fn[RT_NAME_MAX];
    char process[PRAAS_ID_MAX];
    const void *payload;
    size_t len;
    praas_invoke_opts_t opts;
    praas_handlers_t handlers; /* the client's when the call started */
    uint64_t *deps;
    uint64_t id;
    pthread_t th; /* joined once done, so its thread-local state is gone */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned refs; /* the thread's and the owner's */
    int done;
    int rc;
    char msg[1024];
    praas_result_t res;
};

static void cl_call_unref(praas_call_t *c)
{
    int last;

    pthread_mutex_lock(&c->lock);
    last = --c->refs == 0;
    pthread_mutex_unlock(&c->lock);
    if (!last)
        return;
    if (c->done && c->rc == 0)
        praas_result_free(&c->res);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
    free(c->deps);
    free(c);
}

static void *cl_call_thread(void *arg)
{
    praas_call_t *c = arg;
    praas_result_t res;
    int rc;

    rc = cl_invoke(c->cl, c->has_session ? c->session : NULL, c->fn, c->payload, c->len,
                   &c->opts, c->id, &c->handlers, &res);
    pthread_mutex_lock(&c->lock);
    c->rc = rc;
    if (rc == 0)
        c->res = res;
    else
        snprintf(c->msg, sizeof(c->msg), "%s", praas_errmsg());
    c->done = 1;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    cl_call_unref(c);
    return NULL;
}

PRAAS_API int praas_invoke_async(praas_client_t *cl, const char *session, const char *function,
                                 const void *payload, size_t len,
                                 const praas_invoke_opts_t *opts, praas_call_t **call_p)
{
    praas_invoke_opts_t def = {0};
    praas_call_t *c;
    int rc;

    if (opts == NULL)
        opts = &def;
    if (call_p == NULL)
        return core_err(PRAAS_ERR_INVALID, "praas_invoke_async: call_p is NULL");
    rc = cl_invoke_check(cl, session, function, payload, len, opts);
    if (rc < 0)
        return rc;
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return core_err(PRAAS_ERR_NOMEM, "no memory for an invocation");
    c->cl = cl;
    c->has_session = session != NULL;
    if (session)
        snprintf(c->session, sizeof(c->session), "%s", session);
    snprintf(c->fn, sizeof(c->fn), "%s", function);
    c->payload = payload;
    c->len = len;
    c->opts = *opts;
    if (opts->process) {
        snprintf(c->process, sizeof(c->process), "%s", opts->process);
        c->opts.process = c->process;
    }
    if (opts->ndeps) {
        c->deps = malloc(opts->ndeps * sizeof(*c->deps));
        if (c->deps == NULL) {
            free(c);
            return core_err(PRAAS_ERR_NOMEM, "no memory for an invocation");
        }
        memcpy(c->deps, opts->deps, opts->ndeps * sizeof(*c->deps));
        c->opts.deps = c->deps;
    }
    c->id = opts->id ? opts->id : cl_new_id(cl);
    cl_handlers_get(cl, &c->handlers);
    c->refs = 2;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    rc = pthread_create(&c->th, NULL, cl_call_thread, c);
    if (rc != 0) {
        pthread_cond_destroy(&c->cond);
        pthread_mutex_destroy(&c->lock);
        free(c->deps);
        free(c);
        return core_err(PRAAS_ERR_AGAIN, "cannot start a thread for an invocation: %s",
                        strerror(rc));
    }
    *call_p = c;
    return 0;
}

PRAAS_API uint64_t praas_call_id(const praas_call_t *call)
{
    return call ? call->id : 0;
}

PRAAS_API int praas_call_test(praas_call_t *call, int *done_p)
{
    if (call == NULL || done_p == NULL)
        return core_err(PRAAS_ERR_INVALID, "praas_call_test: NULL call or done_p");
    pthread_mutex_lock(&call->lock);
    *done_p = call->done;
    pthread_mutex_unlock(&call->lock);
    return 0;
}

PRAAS_API int praas_call_wait(praas_call_t *call, int timeout_ms, praas_result_t *result)
{
    uint64_t until = core_deadline(timeout_ms);
    int rc;

    if (call == NULL || result == NULL)
        return core_err(PRAAS_ERR_INVALID, "praas_call_wait: NULL call or result");
    pthread_mutex_lock(&call->lock);
    while (!call->done) {
        struct timespec ts;
        if (core_expired(until))
            break;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 10 * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&call->cond, &call->lock, &ts);
    }
    if (!call->done) {
        pthread_mutex_unlock(&call->lock);
        return core_err(PRAAS_ERR_TIMEOUT, "invocation %" PRIu64 " of %s did not complete "
                        "within %d ms", call->id, call->fn, timeout_ms);
    }
    rc = call->rc;
    if (rc == 0) {
        *result = call->res;
        memset(&call->res, 0, sizeof(call->res));
    } else {
        core_err(rc, "%s", call->msg);
    }
    pthread_mutex_unlock(&call->lock);
    /* The thread is at its end: join it, so that nothing of it (libcurl's
     * and OpenSSL's thread-local state) outlives the call. */
    pthread_join(call->th, NULL);
    cl_call_unref(call);
    return rc;
}

PRAAS_API void praas_call_free(praas_call_t *call)
{
    int done;

    if (call == NULL)
        return;
    pthread_mutex_lock(&call->lock);
    done = call->done;
    pthread_mutex_unlock(&call->lock);
    /* A running call finishes on its own and frees what it holds. */
    if (done)
        pthread_join(call->th, NULL);
    else
        pthread_detach(call->th);
    cl_call_unref(call);
}
