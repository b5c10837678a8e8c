/*
 * Schedules: collectives as lists of steps on the point-to-point engine.
 *
 * praas's own collectives span the world. Collectives on any other
 * communicator, and every non-blocking collective, are schedules: sends,
 * receives, local copies and reductions run in order, and a barrier step
 * waits for every receive posted before it. A send is complete when the
 * engine returns (the transport copied the data), so only receives are
 * ever waited for, and a schedule advances whenever its owner tests it:
 * the blocking collectives run theirs to the end at once, the
 * non-blocking ones hand theirs to a request that MPI_Test and MPI_Wait
 * advance (there is no background progress of schedules: a collective
 * moves on when a member waits for it or tests it, which MPI allows).
 *
 * Traffic goes in the communicator's collective context (ctx |
 * PM_CTX_COLL), which no user receive matches, tagged with the
 * communicator's collective count at creation, which every member has
 * equal (collectives are called in the same order everywhere): so two
 * outstanding collectives on one communicator never take each other's
 * messages.
 */
#include <stdlib.h>
#include <string.h>

#include "coll/coll.h"
#include "core/context.h"
#include "core/wait.h"
#include "mpi/pm.h"

enum { PM_S_SEND, PM_S_RECV, PM_S_BARRIER, PM_S_COPY, PM_S_OP };

typedef struct pm_step {
    int kind;
    int peer;
    const void *src;
    void *dst;
    size_t count, dcount;
    pm_type_t *t, *dt; /* references held by the schedule */
    pm_op_t *op;
    pm_req_t *req; /* a posted receive */
} pm_step_t;

struct pm_sched {
    pm_comm_t *c; /* a reference */
    int32_t ctx;
    int tag;
    pm_step_t *steps;
    int n, cap;
    int next;     /* the step to run next */
    int waiting;  /* at a barrier: receives from step `posted` on are pending */
    int posted;   /* the first step whose receive may still be pending */
    int err;      /* an MPI class, set on failure */
    int bad_peer; /* the rank whose message was too long */
    void **tmps;
    int ntmp;
};

pm_sched_t *pm_sched_new(pm_comm_t *c)
{
    pm_sched_t *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    pm_comm_ref(c);
    s->c = c;
    s->ctx = c->ctx | PM_CTX_COLL;
    s->tag = pm_coll_tag(c);
    s->bad_peer = -1;
    return s;
}

void pm_sched_free(pm_sched_t *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n; i++) {
        pm_step_t *st = &s->steps[i];
        if (st->req) {
            /* Never left posted after the buffers go: only an unfinished
             * schedule (an error) gets here with one. */
            if (pm_p2p_cancel(st->req))
                pm_req_destroy(st->req);
            else
                pm_p2p_release(st->req);
        }
        if (st->t)
            pm_type_unref(st->t);
        if (st->dt)
            pm_type_unref(st->dt);
    }
    for (int i = 0; i < s->ntmp; i++)
        free(s->tmps[i]);
    free(s->tmps);
    free(s->steps);
    pm_comm_unref(s->c);
    free(s);
}

static pm_step_t *pm_sched_add(pm_sched_t *s, int kind)
{
    if (s->err)
        return NULL;
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 16;
        pm_step_t *grown = realloc(s->steps, sizeof(*grown) * (size_t)cap);
        if (!grown) {
            s->err = MPI_ERR_NO_MEM;
            return NULL;
        }
        s->steps = grown;
        s->cap = cap;
    }
    memset(&s->steps[s->n], 0, sizeof(s->steps[0]));
    s->steps[s->n].kind = kind;
    return &s->steps[s->n++];
}

void *pm_sched_tmp(pm_sched_t *s, size_t bytes)
{
    void **grown, *p;

    if (s->err)
        return NULL;
    grown = realloc(s->tmps, sizeof(void *) * (size_t)(s->ntmp + 1));
    p = malloc(bytes ? bytes : 1);
    if (!grown || !p) {
        if (grown)
            s->tmps = grown;
        free(p);
        s->err = MPI_ERR_NO_MEM;
        return NULL;
    }
    s->tmps = grown;
    s->tmps[s->ntmp++] = p;
    return p;
}

static int pm_sched_xfer(pm_sched_t *s, int kind, int peer, const void *buf, size_t count,
                         pm_type_t *t)
{
    pm_step_t *st = pm_sched_add(s, kind);

    if (!st)
        return MPI_ERR_NO_MEM;
    st->peer = peer;
    st->src = buf;
    st->dst = (void *)buf;
    st->count = count;
    st->t = t;
    pm_type_ref(t);
    return 0;
}

int pm_sched_send(pm_sched_t *s, int peer, const void *buf, size_t count, pm_type_t *t)
{
    return pm_sched_xfer(s, PM_S_SEND, peer, buf, count, t);
}

int pm_sched_recv(pm_sched_t *s, int peer, void *buf, size_t count, pm_type_t *t)
{
    return pm_sched_xfer(s, PM_S_RECV, peer, buf, count, t);
}

int pm_sched_barrier(pm_sched_t *s)
{
    return pm_sched_add(s, PM_S_BARRIER) ? 0 : MPI_ERR_NO_MEM;
}

int pm_sched_copy(pm_sched_t *s, const void *src, size_t scount, pm_type_t *st, void *dst,
                  size_t dcount, pm_type_t *dt)
{
    pm_step_t *p = pm_sched_add(s, PM_S_COPY);

    if (!p)
        return MPI_ERR_NO_MEM;
    p->src = src;
    p->count = scount;
    p->t = st;
    p->dst = dst;
    p->dcount = dcount;
    p->dt = dt;
    pm_type_ref(st);
    pm_type_ref(dt);
    return 0;
}

int pm_sched_op(pm_sched_t *s, const void *in, void *inout, size_t count, pm_type_t *t,
                pm_op_t *op)
{
    pm_step_t *p = pm_sched_add(s, PM_S_OP);

    if (!p)
        return MPI_ERR_NO_MEM;
    p->src = in;
    p->dst = inout;
    p->count = count;
    p->t = t;
    p->op = op;
    pm_type_ref(t);
    return 0;
}

/* A copy through the packed form (both types describe the same elements). */
static int pm_step_copy(pm_step_t *p)
{
    size_t len = PRAAS_MIN(p->count * p->t->psize, p->dcount * p->dt->psize);
    void *tmp;

    if (!len || p->src == p->dst)
        return 0;
    if (p->t->dense && p->dt->dense) {
        memmove(p->dst, p->src, len);
        return 0;
    }
    tmp = malloc(len);
    if (!tmp)
        return MPI_ERR_NO_MEM;
    pm_pack(p->t, p->count, p->src, tmp, len);
    pm_unpack(p->dt, p->dcount, p->dst, tmp, len);
    free(tmp);
    return 0;
}

/* inout = in OP inout on packed data: a user function sees a dense
 * datatype's own layout (callers refuse user ops on other types). */
static void pm_step_op(pm_step_t *p)
{
    if (p->op->fn) {
        MPI_Datatype dt = p->t->handle;
        int len = (int)p->count;
        p->op->fn((void *)p->src, p->dst, &len, &dt);
        return;
    }
    coll_op_apply(p->op->pop, p->t->base, p->src, p->dst, p->count * p->t->mult);
}

/* Whether every receive posted before the current barrier is complete. */
static int pm_sched_arrived(pm_sched_t *s)
{
    for (int i = s->posted; i < s->next; i++) {
        pm_step_t *st = &s->steps[i];
        if (!st->req)
            continue;
        if (!pm_p2p_test(st->req))
            return 0;
    }
    for (int i = s->posted; i < s->next; i++) {
        pm_step_t *st = &s->steps[i];
        if (!st->req)
            continue;
        if (st->req->st_err && !s->err) {
            s->err = st->req->st_err;
            s->bad_peer = st->peer;
        }
        pm_req_destroy(st->req);
        st->req = NULL;
    }
    s->posted = s->next;
    return 1;
}

int pm_sched_progress(pm_sched_t *s, int *err_p)
{
    int rc = 0;

    while (!s->err) {
        pm_step_t *st;
        pm_req_t *sr = NULL;

        if (s->waiting) {
            if (!pm_sched_arrived(s))
                return 0;
            s->waiting = 0;
            s->next++; /* past the barrier */
            s->posted = s->next;
            continue;
        }
        if (s->next == s->n)
            break;
        st = &s->steps[s->next];
        switch (st->kind) {
        case PM_S_SEND:
            rc = pm_p2p_send_typed(s->c, s->ctx, st->src, st->count, st->t, st->peer, s->tag, 0,
                                   &sr);
            break;
        case PM_S_RECV:
            rc = pm_p2p_recv(s->c, s->ctx, st->dst, st->count, st->t, st->peer, s->tag,
                             &st->req);
            break;
        case PM_S_BARRIER:
            s->waiting = 1;
            continue;
        case PM_S_COPY:
            rc = pm_step_copy(st);
            break;
        default:
            pm_step_op(st);
            break;
        }
        if (rc) {
            s->err = rc > 0 ? rc : pm_class_of(rc, PM_CTX_COLL);
            break;
        }
        s->next++;
    }
    if (!s->err && s->posted < s->next && !pm_sched_arrived(s))
        return 0; /* receives after the last barrier */
    *err_p = s->err;
    return 1;
}

/* Wait until the schedule ends, making progress. */
static int pm_sched_wait(pm_sched_t *s)
{
    tp_ctx_t *tp = core_tp();
    core_waiter_t w;
    int err = 0;

    if (pm_sched_progress(s, &err) || !tp)
        return err;
    core_wait_init(&w, tp);
    while (!pm_sched_progress(s, &err))
        core_wait_step(&w, tp_progress(tp));
    core_wait_done(&w);
    return err;
}

static int pm_sched_raise(pm_sched_t *s, int err, const char *call)
{
    if (err == MPI_ERR_TRUNCATE)
        return pm_err_comm(s->c->handle, err, call,
                           "rank %d sent more than rank %d expected (counts differ)",
                           s->bad_peer, s->c->rank);
    if (err == MPI_ERR_NO_MEM)
        return pm_err_comm(s->c->handle, err, call, "no memory");
    return pm_err_comm(s->c->handle, err, call, "a transfer failed: %s", praas_errmsg());
}

int pm_sched_run(pm_sched_t *s, const char *call)
{
    int err = s->err ? s->err : pm_sched_wait(s);

    if (err)
        err = pm_sched_raise(s, err, call);
    pm_sched_free(s);
    return err;
}

int pm_sched_finish(pm_sched_t *s)
{
    int err = s->err ? s->err : pm_sched_wait(s);

    pm_sched_free(s);
    return err;
}

int pm_sched_request(pm_sched_t *s, MPI_Request *req_p, const char *call)
{
    pm_req_t *r;
    int err = 0;

    if (s->err) {
        err = pm_sched_raise(s, s->err, call);
        pm_sched_free(s);
        return err;
    }
    r = calloc(1, sizeof(*r));
    if (!r || pm_req_handle(r, req_p)) {
        free(r);
        err = pm_err_comm(s->c->handle, MPI_ERR_NO_MEM, call, "no memory for a request");
        pm_sched_wait(s); /* the others go on: finish our part */
        pm_sched_free(s);
        return err;
    }
    r->kind = PM_REQ_COLL;
    r->comm = s->c->handle;
    r->sched = s;
    r->st_source = MPI_ANY_SOURCE;
    r->st_tag = MPI_ANY_TAG;
    atomic_init(&r->done, 0);
    /* Start it: the first round's messages leave now. */
    if (pm_sched_progress(s, &err)) {
        if (err)
            r->err = pm_sched_raise(s, err, call);
        atomic_store(&r->done, 1);
    }
    return MPI_SUCCESS;
}

/* For request.c: advance a collective request (block: to its end). */
int pm_sched_req_poll(pm_req_t *r, int block, const char *call)
{
    int err = 0, done;

    if (atomic_load(&r->done))
        return 1;
    done = block ? (err = pm_sched_wait(r->sched), 1) : pm_sched_progress(r->sched, &err);
    if (!done)
        return 0;
    if (err && !r->err)
        r->err = pm_sched_raise(r->sched, err, call);
    atomic_store(&r->done, 1);
    return 1;
}
