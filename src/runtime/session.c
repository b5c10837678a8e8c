/*
 * Sessions (rt.h): memory, I/O buffers, invocation scheduling and the
 * function threads.
 *
 * An invocation goes through: waiting for its arguments (a multi-source
 * invocation until all N have arrived), waiting for its dependencies (the
 * ids it names must have completed), ready (a FIFO queue), running (in a
 * function thread), complete (its id and status are remembered for later
 * dependencies; its result is sent to every caller). A dependency that
 * failed fails its dependents with PRAAS_ERR_CANCELED; a timeout that
 * passes before the start fails it with PRAAS_ERR_TIMEOUT.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "core/common.h"
#include "core/context.h"
#include "core/error.h"
#include "core/log.h"
#include "runtime/rt.h"

/* The most function threads a session may have, and its largest memory. */
#define RT_MAX_FUNCTIONS 1024
#define RT_MAX_MEMORY (1ull << 40)

const char *rt_sess_state_name(enum rt_sess_state st)
{
    return st == RT_SESS_LIVE ? "live" : st == RT_SESS_SWAPPING ? "swapping" : "gone";
}

/* ---- life ---- */

int rt_sess_create(struct rt_server *srv, const char *sid, size_t memory, int max_functions,
                   struct rt_session **s_p)
{
    struct rt_session *s;
    int rc;

    if (!rt_sid_ok(sid))
        return core_err(PRAAS_ERR_INVALID,
                        "session id '%.64s' is not 1 to %d characters of [A-Za-z0-9_.:-]", sid,
                        RT_NAME_MAX);
    if (memory == 0 || memory > RT_MAX_MEMORY)
        return core_err(PRAAS_ERR_INVALID, "session %s: memory of %zu bytes is not in 1..%llu",
                        sid, memory, (unsigned long long)RT_MAX_MEMORY);
    if (max_functions < 1 || max_functions > RT_MAX_FUNCTIONS)
        return core_err(PRAAS_ERR_INVALID, "session %s: max_functions %d is not in 1..%d", sid,
                        max_functions, RT_MAX_FUNCTIONS);
    s = calloc(1, sizeof(*s));
    if (!s)
        return core_err(PRAAS_ERR_NOMEM, "session %s: out of memory", sid);
    s->mem = mmap(NULL, memory, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                  -1, 0);
    if (s->mem == MAP_FAILED) {
        rc = core_err(PRAAS_ERR_NOMEM, "session %s: cannot map %zu bytes of memory: %s", sid,
                      memory, strerror(errno));
        free(s);
        return rc;
    }
    if (core_tp()) {
        rc = tp_mr_reg(core_tp(), s->mem, memory, &s->mr);
        if (rc) {
            core_log(CORE_LOG_WARN, "session %s: memory not registered with the transport: %s",
                     sid, praas_errmsg());
            s->mr = NULL;
        }
    }
    s->srv = srv;
    snprintf(s->id, sizeof(s->id), "%s", sid);
    atomic_init(&s->refs, 1);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->state = RT_SESS_LIVE;
    s->memory = memory;
    s->max_functions = max_functions;
    s->bytes_now = s->peak_bytes = memory;
    s->created_ns = s->last_ns = core_now_ns();
    pthread_mutex_lock(&srv->lock);
    srv->nsessions++;
    pthread_mutex_unlock(&srv->lock);
    *s_p = s;
    return 0;
}

int rt_sess_publish(struct rt_session *s)
{
    struct rt_server *srv = s->srv;
    int rc = 0;

    pthread_mutex_lock(&srv->lock);
    if (srv->stopping) {
        rc = core_err(PRAAS_ERR_STATE, "praas-process %s is shutting down", srv->id);
    } else {
        for (struct rt_session *o = srv->sessions; o; o = o->next)
            if (strcmp(o->id, s->id) == 0) {
                rc = core_err(PRAAS_ERR_EXISTS, "session %s already exists in %s", s->id,
                              srv->id);
                break;
            }
    }
    if (!rc) {
        s->next = srv->sessions;
        srv->sessions = s;
    }
    pthread_mutex_unlock(&srv->lock);
    return rc;
}

struct rt_session *rt_sess_find(struct rt_server *srv, const char *sid)
{
    struct rt_session *s;

    pthread_mutex_lock(&srv->lock);
    for (s = srv->sessions; s; s = s->next)
        if (strcmp(s->id, sid) == 0) {
            atomic_fetch_add(&s->refs, 1);
            break;
        }
    pthread_mutex_unlock(&srv->lock);
    return s;
}

void rt_sess_ref(struct rt_session *s)
{
    atomic_fetch_add(&s->refs, 1);
}

void rt_sess_unref(struct rt_session *s)
{
    struct rt_server *srv;

    if (atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    srv = s->srv;
    if (s->mr)
        tp_mr_dereg(core_tp(), s->mr);
    munmap(s->mem, s->memory);
    for (int c = 0; c < RT_POOL_CLASSES; c++)
        while (s->pool[c]) {
            struct rt_buf *b = s->pool[c];
            s->pool[c] = b->next;
            munmap(b->base, b->cap);
            free(b);
        }
    free(s->done);
    free(s->done_ring);
    while (s->inv_pool) {
        struct praas_invocation *v = s->inv_pool;
        s->inv_pool = v->qnext;
        free(v);
    }
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
    pthread_mutex_lock(&srv->lock);
    srv->nsessions--;
    pthread_cond_broadcast(&srv->cond);
    pthread_mutex_unlock(&srv->lock);
}

/* ---- invocation lists and table (session lock held) ---- */

static void list_push(struct rt_inv_list *l, struct praas_invocation *v)
{
    v->qnext = NULL;
    v->qprev = l->tail;
    if (l->tail)
        l->tail->qnext = v;
    else
        l->head = v;
    l->tail = v;
    l->n++;
}

static void list_del(struct rt_inv_list *l, struct praas_invocation *v)
{
    if (v->qprev)
        v->qprev->qnext = v->qnext;
    else
        l->head = v->qnext;
    if (v->qnext)
        v->qnext->qprev = v->qprev;
    else
        l->tail = v->qprev;
    v->qnext = v->qprev = NULL;
    l->n--;
}

static struct praas_invocation *hash_find(struct rt_session *s, uint64_t id)
{
    struct praas_invocation *v = s->hash[rt_id_mix(id) % RT_INV_HASH];

    while (v && v->id != id)
        v = v->hnext;
    return v;
}

static void hash_del(struct rt_session *s, struct praas_invocation *v)
{
    for (struct praas_invocation **pp = &s->hash[rt_id_mix(v->id) % RT_INV_HASH]; *pp;
         pp = &(*pp)->hnext)
        if (*pp == v) {
            *pp = v->hnext;
            s->ninvs--;
            return;
        }
}

/* Take v out of the session and set its failure (it has not started). */
static void inv_fail_locked(struct rt_session *s, struct praas_invocation *v, int code,
                            const char *why, int remember, struct rt_inv_list *failed)
{
    hash_del(s, v);
    list_del(v->state == RT_INV_READY ? &s->ready : &s->waiting, v);
    v->status = code;
    snprintf(v->msg, sizeof(v->msg), "%s", why);
    if (remember)
        rt_done_add(s, v->id, code);
    s->failures++;
    list_push(failed, v);
}

static void *worker_main(void *arg);
static void inv_done_locked(struct rt_session *s, struct praas_invocation *v,
                            struct rt_inv_list *failed);

/* Make sure a function thread will take the head of the ready queue: wake
 * an idle one, or start one while the session has fewer than
 * max_functions (workers take work only while fewer than max_functions
 * invocations run, those run by connection readers included). */
static void kick_locked(struct rt_session *s, struct rt_inv_list *failed)
{
    if (!s->ready.head || s->running >= s->max_functions)
        return;
    if (s->ready.n > (size_t)s->idle_threads && s->nthreads < s->max_functions) {
        pthread_t t;
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        rt_sess_ref(s);
        if (pthread_create(&t, &at, worker_main, s) == 0) {
            s->nthreads++;
        } else {
            atomic_fetch_sub(&s->refs, 1); /* never the last: the caller holds one */
            if (s->nthreads == 0 && s->running == 0)
                inv_fail_locked(s, s->ready.tail, PRAAS_ERR_NOMEM,
                                "cannot start a function thread", 1, failed);
        }
        pthread_attr_destroy(&at);
    }
    pthread_cond_signal(&s->cond);
}

/* Make v runnable: queue it and make sure a thread will take it. */
static void make_ready(struct rt_session *s, struct praas_invocation *v,
                       struct rt_inv_list *failed)
{
    list_del(&s->waiting, v);
    v->state = RT_INV_READY;
    list_push(&s->ready, v);
    kick_locked(s, failed);
}

/* 1: every dependency completed; 0: some still pending; -1: one failed
 * (its id in *bad_p). */
static int deps_state(struct rt_session *s, struct praas_invocation *v, uint64_t *bad_p)
{
    int all = 1;

    for (int i = 0; i < v->ndeps; i++) {
        struct rt_done *d = rt_done_find(s, v->deps[i]);
        if (!d) {
            all = 0;
        } else if (d->status) {
            *bad_p = v->deps[i];
            return -1;
        }
    }
    return all;
}

/* Move every waiting invocation whose arguments and dependencies are
 * complete to the ready queue, in arrival order; fail those with a failed
 * dependency (which may fail more). */
static void rescan(struct rt_session *s, struct rt_inv_list *failed)
{
    int changed;

    do {
        changed = 0;
        struct praas_invocation *v = s->waiting.head, *nx;
        for (; v; v = nx) {
            nx = v->qnext;
            if (v->state != RT_INV_WAIT_DEPS)
                continue;
            uint64_t bad = 0;
            int st = deps_state(s, v, &bad);
            if (st > 0) {
                make_ready(s, v, failed);
            } else if (st < 0) {
                char why[160];
                snprintf(why, sizeof(why), "invocation %llu depends on invocation %llu, which failed",
                         (unsigned long long)v->id, (unsigned long long)bad);
                inv_fail_locked(s, v, PRAAS_ERR_CANCELED, why, 1, failed);
                changed = 1;
            }
        }
    } while (changed);
}

/* ---- replies and freeing ---- */

/* A zeroed invocation structure (session lock held): one kept for reuse
 * if any (a small invocation costs no allocation), else a new one. */
static struct praas_invocation *inv_alloc_locked(struct rt_session *s)
{
    struct praas_invocation *v = s->inv_pool;

    if (!v)
        return calloc(1, sizeof(*v));
    s->inv_pool = v->qnext;
    s->inv_pool_n--;
    memset(v, 0, offsetof(struct praas_invocation, msg));
    v->msg[0] = '\0';
    v->cpu_ns = v->wall_ns = 0;
    return v;
}

/* Free v (it is in no list), counting out result bytes sent, with one
 * pass under the session lock. */
static void inv_free(struct praas_invocation *v, uint64_t out)
{
    struct rt_session *s = v->s;

    /* Connections first, with no session lock held (the last reference
     * takes srv->lock, which comes before a session's). */
    for (int i = 0; i < v->nargs; i++)
        if (v->args[i].conn)
            rt_sconn_unref(v->args[i].conn);
    pthread_mutex_lock(&s->lock);
    s->bytes_out += out;
    for (int i = 0; i < v->nargs; i++)
        rt_buf_put(s, v->args[i].buf);
    rt_buf_put(s, v->res_buf);
    if (v->args != &v->arg1)
        free(v->args);
    free(v->deps);
    if (s->inv_pool_n < RT_INV_POOL && s->state != RT_SESS_GONE) {
        v->qnext = s->inv_pool;
        s->inv_pool = v;
        s->inv_pool_n++;
        v = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    free(v);
    rt_sess_unref(s);
}

/* Append text (len bytes) and the decimal digits of x at p; returns the
 * end. (snprintf was a tenth of a small invocation's CPU in the reader.) */
static char *put_u64(char *p, const char *text, size_t len, uint64_t x)
{
    char d[20];
    int n = 0;

    memcpy(p, text, len);
    p += len;
    do {
        d[n++] = (char)('0' + x % 10);
        x /= 10;
    } while (x);
    while (n)
        *p++ = d[--n];
    return p;
}

/* Send v's outcome to every caller, then free it. The success meta
 * {"cpu_ns","wall_ns"} is printed directly (no JSON object to build). */
static void inv_answer(struct praas_invocation *v)
{
    char meta[96]; /* 2 x 20 digits and 23 bytes of text */
    int mlen = 0;
    uint64_t out = 0;

    if (!v->status) {
        char *e = put_u64(meta, "{\"cpu_ns\":", 10, v->cpu_ns);
        e = put_u64(e, ",\"wall_ns\":", 11, v->wall_ns);
        *e++ = '}';
        mlen = (int)(e - meta);
    }
    for (int i = 0; i < v->nargs; i++) {
        if (!v->args[i].present || !v->args[i].conn)
            continue;
        if (v->status) {
            rt_sconn_reply(v->args[i].conn, RT_MSG_RESULT, v->id, v->status, v->msg, NULL,
                           NULL, 0);
            continue;
        }
        rt_sconn_reply_raw(v->args[i].conn, RT_MSG_RESULT, v->id, meta, (size_t)mlen, v->res,
                           v->res_len);
        out += v->res_len;
    }
    inv_free(v, out);
}

void rt_inv_fail_list(struct rt_inv_list *l)
{
    struct praas_invocation *v;

    while ((v = l->head)) {
        l->head = v->qnext;
        inv_answer(v);
    }
    l->tail = NULL;
    l->n = 0;
}

/* ---- running ---- */

/* Run v's function in the calling thread: a connection's reader (c) or a
 * function thread (c NULL). Returns 1 when c's reading went to a new
 * reader meanwhile (rt_sconn_inline_end), else 0. */
static int inv_run(struct praas_invocation *v, struct rt_sconn *c)
{
    struct rt_inline in;
    int rc, handed;

    core_err_clear();
    rt_sconn_inline_begin(v->s->srv, c, &in);
    rc = v->fn(v);
    handed = rt_sconn_inline_end(v->s->srv, &in, &v->cpu_ns);
    v->wall_ns = in.end - in.since;
    v->end_ns = in.end;
    v->status = rc;
    if (rc && !v->msg[0]) {
        const char *m = praas_errmsg();
        snprintf(v->msg, sizeof(v->msg), "function %.100s of session %.100s failed with %d (%s)%s%.250s",
                 v->fn_name, v->s->id, rc, praas_err_name(rc), *m ? ": " : "", m);
    }
    return handed;
}

/* ---- submission ---- */

int rt_sess_submit(struct rt_session *s, struct rt_sconn *c, uint64_t id, const char *fn_name,
                   praas_function_t *fn, int nargs, int argi, const uint64_t *deps, int ndeps,
                   int timeout_ms, struct rt_buf *buf, size_t len)
{
    struct rt_inv_list failed = {0};
    struct praas_invocation *v, *now = NULL;
    int handed = 0;
    uint64_t deadline = UINT64_MAX;
    int code = 0;
    unsigned gone = 0; /* RT_FLAG_SESSION_GONE: the failure is the session's absence */
    char why[300];

    pthread_mutex_lock(&s->lock);
    if (s->state != RT_SESS_LIVE) {
        code = s->state == RT_SESS_SWAPPING ? PRAAS_ERR_STATE : PRAAS_ERR_NOT_FOUND;
        gone = code == PRAAS_ERR_NOT_FOUND ? RT_FLAG_SESSION_GONE : 0;
        snprintf(why, sizeof(why), "session %s is %s", s->id,
                 s->state == RT_SESS_SWAPPING ? "being swapped out" : "no longer here");
        goto refuse;
    }
    if (rt_done_find(s, id)) {
        code = PRAAS_ERR_EXISTS;
        snprintf(why, sizeof(why), "invocation id %llu already ran in session %s",
                 (unsigned long long)id, s->id);
        goto refuse;
    }
    v = hash_find(s, id);
    if (v) {
        if (v->nargs == 1 || v->state != RT_INV_WAIT_ARGS) {
            code = PRAAS_ERR_EXISTS;
            snprintf(why, sizeof(why), "invocation id %llu is in use in session %s",
                     (unsigned long long)id, s->id);
            goto refuse;
        }
        if (v->nargs != nargs || strcmp(v->fn_name, fn_name) != 0) {
            code = PRAAS_ERR_INVALID;
            snprintf(why, sizeof(why),
                     "invocation %llu is %.64s with %d arguments; this argument says %.64s with %d",
                     (unsigned long long)id, v->fn_name, v->nargs, fn_name, nargs);
            goto refuse;
        }
        if (argi < 0)
            for (argi = 0; argi < nargs && v->args[argi].present; argi++)
                ;
        if (argi >= nargs || v->args[argi].present) {
            code = PRAAS_ERR_EXISTS;
            snprintf(why, sizeof(why), "argument %d of invocation %llu already arrived", argi,
                     (unsigned long long)id);
            goto refuse;
        }
    } else {
        if (argi < 0)
            argi = 0;
        v = inv_alloc_locked(s);
        if (v)
            v->args = nargs == 1 ? &v->arg1 : calloc((size_t)nargs, sizeof(*v->args));
        if (!v || !v->args) {
            free(v);
            code = PRAAS_ERR_NOMEM;
            snprintf(why, sizeof(why), "session %s: out of memory", s->id);
            goto refuse;
        }
        v->s = s;
        rt_sess_ref(s);
        v->id = id;
        memcpy(v->fn_name, fn_name, strnlen(fn_name, RT_NAME_MAX) + 1);
        v->fn_name[RT_NAME_MAX] = '\0';
        v->fn = fn;
        v->nargs = nargs;
        v->deadline = UINT64_MAX;
        v->state = RT_INV_WAIT_ARGS;
        size_t h = rt_id_mix(id) % RT_INV_HASH;
        v->hnext = s->hash[h];
        s->hash[h] = v;
        s->ninvs++;
        list_push(&s->waiting, v);
    }
    /* Dependencies: the union of what every argument names. */
    if (ndeps) {
        uint64_t *d = realloc(v->deps, (size_t)(v->ndeps + ndeps) * sizeof(*d));
        if (d) {
            v->deps = d;
            for (int i = 0; i < ndeps; i++) {
                int dup = 0;
                for (int j = 0; j < v->ndeps && !dup; j++)
                    dup = d[j] == deps[i];
                if (!dup)
                    d[v->ndeps++] = deps[i];
            }
        }
    }
    rt_sconn_ref(c);
    v->args[argi] = (struct rt_arg){buf, len, c, 1};
    v->nrecv++;
    s->bytes_in += len;
    if (timeout_ms >= 0) {
        v->deadline = PRAAS_MIN(v->deadline, core_deadline(timeout_ms));
        deadline = v->deadline;
    }
    if (v->nrecv == v->nargs) {
        uint64_t bad = 0;
        int st = deps_state(s, v, &bad);
        v->state = RT_INV_WAIT_DEPS;
        if (st > 0 && c->can_inline && !s->ready.head && s->running < s->max_functions) {
            /* Runnable at once, nothing queued before it and a slot free:
             * run it here, in the connection's reader, instead of handing
             * it to a function thread (a thread switch is most of a small
             * invocation's round trip). The FIFO order and the cap hold:
             * the ready queue is empty and it counts as running. */
            list_del(&s->waiting, v);
            v->state = RT_INV_RUNNING;
            s->running++;
            now = v;
        } else if (st > 0) {
            make_ready(s, v, &failed);
        } else if (st < 0) {
            snprintf(why, sizeof(why), "invocation %llu depends on invocation %llu, which failed",
                     (unsigned long long)v->id, (unsigned long long)bad);
            inv_fail_locked(s, v, PRAAS_ERR_CANCELED, why, 1, &failed);
            rescan(s, &failed);
        }
    }
    pthread_mutex_unlock(&s->lock);
    rt_inv_fail_list(&failed);
    if (now) {
        handed = inv_run(now, c);
        pthread_mutex_lock(&s->lock);
        inv_done_locked(s, now, &failed);
        pthread_mutex_unlock(&s->lock);
        inv_answer(now);
        rt_inv_fail_list(&failed);
    } else if (deadline != UINT64_MAX) {
        rt_server_deadline(s->srv, deadline);
    }
    return handed;

refuse:
    rt_buf_put(s, buf);
    pthread_mutex_unlock(&s->lock);
    rt_sconn_reply_flags(c, RT_MSG_RESULT, id, code, gone, why, NULL, NULL, 0);
    return 0;
}

/* ---- running ---- */

/* After v ran (session lock held): remember it, update the usage, make
 * ready what waited for it, and hand freed slots to queued work. */
static void inv_done_locked(struct rt_session *s, struct praas_invocation *v,
                            struct rt_inv_list *failed)
{
    s->running--;
    hash_del(s, v);
    rt_done_add(s, v->id, v->status);
    s->invocations++;
    s->failures += v->status != 0;
    s->cpu_ns += v->cpu_ns;
    s->wall_ns += v->wall_ns;
    s->last_ns = v->end_ns;
    rescan(s, failed);
    kick_locked(s, failed);
}

static void *worker_main(void *arg)
{
    struct rt_session *s = arg;
    struct rt_inv_list failed = {0};

    pthread_mutex_lock(&s->lock);
    for (;;) {
        /* Sleep at once when there is nothing to take: spinning would take
         * a core from the connection readers, which run most invocations
         * themselves (rt_sess_submit). */
        if ((!s->ready.head || s->running >= s->max_functions) && s->state != RT_SESS_GONE) {
            s->idle_threads++;
            while ((!s->ready.head || s->running >= s->max_functions) &&
                   s->state != RT_SESS_GONE)
                pthread_cond_wait(&s->cond, &s->lock);
            s->idle_threads--;
        }
        struct praas_invocation *v = s->ready.head;
        if (!v)
            break;
        list_del(&s->ready, v);
        v->state = RT_INV_RUNNING;
        s->running++;
        pthread_mutex_unlock(&s->lock);

        inv_run(v, NULL);

        pthread_mutex_lock(&s->lock);
        inv_done_locked(s, v, &failed);
        pthread_mutex_unlock(&s->lock);
        inv_answer(v);
        rt_inv_fail_list(&failed);
        pthread_mutex_lock(&s->lock);
    }
    s->nthreads--;
    pthread_mutex_unlock(&s->lock);
    rt_sess_unref(s);
    return NULL;
}

uint64_t rt_sess_expire(struct rt_session *s, uint64_t now)
{
    struct rt_inv_list failed = {0};
    struct rt_inv_list *lists[2] = {&s->waiting, &s->ready};
    uint64_t next = UINT64_MAX;
    int any = 0;

    pthread_mutex_lock(&s->lock);
    for (int k = 0; k < 2; k++) {
        struct praas_invocation *v = lists[k]->head, *nx;
        for (; v; v = nx) {
            nx = v->qnext;
            if (v->deadline > now) {
                next = PRAAS_MIN(next, v->deadline);
                continue;
            }
            char why[300];
            snprintf(why, sizeof(why),
                     "invocation %llu of session %.100s did not start within its timeout (%s)",
                     (unsigned long long)v->id, s->id,
                     v->state == RT_INV_WAIT_ARGS ? "waiting for its arguments"
                     : v->state == RT_INV_WAIT_DEPS ? "waiting for its dependencies"
                                                    : "queued behind other invocations");
            inv_fail_locked(s, v, PRAAS_ERR_TIMEOUT, why, 1, &failed);
            any = 1;
        }
    }
    if (any)
        rescan(s, &failed);
    pthread_mutex_unlock(&s->lock);
    rt_inv_fail_list(&failed);
    return next;
}

void rt_sess_unlist_locked(struct rt_session *s, int code, const char *why,
                           struct rt_inv_list *failed)
{
    struct rt_server *srv = s->srv;

    for (struct rt_session **pp = &srv->sessions; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    pthread_mutex_lock(&s->lock);
    s->state = RT_SESS_GONE;
    while (s->ready.head)
        inv_fail_locked(s, s->ready.head, code, why, 0, failed);
    while (s->waiting.head)
        inv_fail_locked(s, s->waiting.head, code, why, 0, failed);
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

json_t *rt_sess_usage(struct rt_session *s)
{
    json_t *j;

    pthread_mutex_lock(&s->lock);
    j = json_pack("{sssssIsisIsIsIsIsIsIsIsIsisIsI}", "session", s->id, "state",
                  rt_sess_state_name(s->state), "memory", (json_int_t)s->memory, "max_functions",
                  s->max_functions, "invocations", (json_int_t)s->invocations, "failures",
                  (json_int_t)s->failures, "cpu_ns", (json_int_t)s->cpu_ns, "wall_ns",
                  (json_int_t)s->wall_ns, "peak_bytes", (json_int_t)s->peak_bytes, "bytes_in",
                  (json_int_t)s->bytes_in, "bytes_out", (json_int_t)s->bytes_out, "idle_ms",
                  (json_int_t)((core_now_ns() - s->last_ns) / 1000000u), "running", s->running,
                  "queued", (json_int_t)s->ready.n, "waiting", (json_int_t)s->waiting.n);
    pthread_mutex_unlock(&s->lock);
    return j;
}
