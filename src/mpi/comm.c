/*
 * Communicators: an ordered list of world ranks and a context id.
 *
 * Context ids. Every message carries its communicator's context id, so
 * the traffic of two communicators never matches. A new communicator's id
 * is agreed by the processes that create it: each proposes the next id of
 * its own counter, the communicator takes the largest proposal (one
 * allgather, which split and create need anyway for colors and keys), and
 * every participant moves its counter past it. Ids only grow at a process,
 * so a process never has two live communicators with one id; two disjoint
 * communicators may share an id, which is harmless since their members
 * never talk to each other under it.
 *
 * A communicator whose group is the world's in world order ("world-like")
 * maps its collectives and windows onto praas's, which span the world;
 * any other runs its collectives on the point-to-point engine (sched.c,
 * nbcoll.c) and creates its windows over its members only (win.c).
 * Intercommunicators are not provided.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpi/pm.h"

static pm_comm_t pm_world = {.handle = MPI_COMM_WORLD, .world_like = 1, .ctx = 0};
static pm_comm_t pm_self = {.handle = MPI_COMM_SELF, .ctx = PM_CTX_SELF};

/* The next context id this process proposes (ids below 0x10000000: the
 * bits above mark special contexts, see pm.h). */
static atomic_int pm_next_ctx = 1;

/* Contexts of the agreement of MPI_Comm_create_group, which runs among
 * the group's members only, under the parent's id. */
#define PM_CTX_GRP 0x10000000

pm_comm_t *pm_comm(MPI_Comm comm)
{
    return pm_handle_get(PM_COMM, comm);
}

int pm_comm_init(void)
{
    pm_world.rank = pm_world_rank;
    pm_world.size = pm_world_size;
    pm_world.errh = MPI_ERRORS_ARE_FATAL;
    pm_world.world = malloc(sizeof(int) * (size_t)pm_world_size);
    if (!pm_world.world)
        return MPI_ERR_NO_MEM;
    for (int i = 0; i < pm_world_size; i++)
        pm_world.world[i] = i;
    atomic_store(&pm_world.refs, 1);
    strcpy(pm_world.name, "MPI_COMM_WORLD");
    pm_self.rank = 0;
    pm_self.size = 1;
    pm_self.world = &pm_world_rank;
    pm_self.errh = MPI_ERRORS_ARE_FATAL;
    atomic_store(&pm_self.refs, 1);
    strcpy(pm_self.name, "MPI_COMM_SELF");
    pm_handle_set(PM_COMM, PM_INDEX(MPI_COMM_WORLD), &pm_world);
    pm_handle_set(PM_COMM, PM_INDEX(MPI_COMM_SELF), &pm_self);
    return 0;
}

void pm_comm_fini(void)
{
    pm_attrs_clear(&pm_self.attrs, PM_COMM, MPI_COMM_SELF);
    pm_attrs_clear(&pm_world.attrs, PM_COMM, MPI_COMM_WORLD);
    free(pm_world.world);
    pm_world.world = NULL;
}

void pm_comm_ref(pm_comm_t *c)
{
    atomic_fetch_add(&c->refs, 1);
}

void pm_comm_unref(pm_comm_t *c)
{
    if (atomic_fetch_sub(&c->refs, 1) != 1 || c == &pm_world || c == &pm_self)
        return;
    free(c->world);
    free(c);
}

/* Move this process's counter past an agreed id. */
static void pm_ctx_taken(int32_t ctx)
{
    int cur = atomic_load(&pm_next_ctx);

    while (cur <= ctx && !atomic_compare_exchange_weak(&pm_next_ctx, &cur, ctx + 1))
        ;
}

static int32_t pm_ctx_propose(void)
{
    return atomic_fetch_add(&pm_next_ctx, 1);
}

void pm_sched_allgather(pm_sched_t *s, pm_comm_t *c, const void *mine, size_t len, void *all)
{
    pm_type_t *bt = pm_type(MPI_BYTE);

    memcpy((char *)all + (size_t)c->rank * len, mine, len);
    for (int r = 0; r < c->size; r++)
        if (r != c->rank) {
            pm_sched_recv(s, r, (char *)all + (size_t)r * len, len, bt);
            pm_sched_send(s, r, mine, len, bt);
        }
    pm_sched_barrier(s);
}

int pm_comm_allgather(pm_comm_t *c, const void *mine, size_t len, void *all, const char *call)
{
    pm_sched_t *s;
    int rc;

    if (c->size == 1) {
        memcpy(all, mine, len);
        return MPI_SUCCESS;
    }
    if (pm_comm_is_world(c)) {
        PM_LOCK(&pm_coll_lock);
        rc = praas_allgather(mine, len, PRAAS_BYTE, all);
        PM_UNLOCK(&pm_coll_lock);
        return rc ? pm_praas_comm(c->handle, rc, PM_CTX_COLL, call) : MPI_SUCCESS;
    }
    s = pm_sched_new(c);
    if (!s)
        return pm_err_comm(c->handle, MPI_ERR_NO_MEM, call, "no memory");
    pm_sched_allgather(s, c, mine, len, all);
    return pm_sched_run(s, call);
}

/* A new communicator over world ranks (copied) with an agreed context id,
 * inheriting old's error handler and, through the copy callbacks, its
 * attributes when copy_attrs. */
static int pm_comm_new(pm_comm_t *old, const int *world, int n, int32_t ctx, int copy_attrs,
                       MPI_Comm *newcomm, const char *call)
{
    pm_comm_t *c = calloc(1, sizeof(*c));
    int rc, identity = n == pm_world_size;

    if (c)
        c->world = malloc(sizeof(int) * (size_t)n);
    if (!c || !c->world) {
        free(c);
        return pm_err_comm(old->handle, MPI_ERR_NO_MEM, call, "no memory for a communicator");
    }
    c->rank = -1;
    for (int i = 0; i < n; i++) {
        c->world[i] = world[i];
        if (world[i] == pm_world_rank)
            c->rank = i;
        if (world[i] != i)
            identity = 0;
    }
    c->size = n;
    c->ctx = ctx;
    c->world_like = identity;
    atomic_init(&c->refs, 1);
    atomic_init(&c->coll_seq, 0);
    pm_errh_ref(old->errh);
    c->errh = old->errh;
    rc = pm_handle_new(PM_COMM, c, &c->handle);
    if (rc) {
        pm_errh_unref(c->errh);
        free(c->world);
        free(c);
        return pm_err_comm(old->handle, rc, call, "no memory for a handle");
    }
    *newcomm = c->handle;
    if (copy_attrs)
        return pm_attrs_copy(old->attrs, old->handle, &c->attrs, c->handle, call);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Comm_rank(MPI_Comm comm, int *rank)
{
    PM_GET_COMM(c, comm, "MPI_Comm_rank");
    if (!rank)
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Comm_rank", "NULL output");
    *rank = c->rank;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Comm_size(MPI_Comm comm, int *size)
{
    PM_GET_COMM(c, comm, "MPI_Comm_size");
    if (!size)
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Comm_size", "NULL output");
    *size = c->size;
    return MPI_SUCCESS;
}

/* Agree on a context id over c: the largest proposal. */
static int pm_ctx_agree(pm_comm_t *c, int32_t *ctx_p, const char *call)
{
    int32_t mine = pm_ctx_propose(), *all, ctx = mine;
    int rc;

    all = malloc(sizeof(int32_t) * (size_t)c->size);
    if (!all)
        return pm_err_comm(c->handle, MPI_ERR_NO_MEM, call, "no memory");
    rc = pm_comm_allgather(c, &mine, sizeof(mine), all, call);
    for (int r = 0; r < c->size && !rc; r++)
        ctx = PRAAS_MAX(ctx, all[r]);
    free(all);
    if (rc)
        return rc;
    pm_ctx_taken(ctx);
    *ctx_p = ctx;
    return MPI_SUCCESS;
}

static int pm_dup(pm_comm_t *c, MPI_Comm *newcomm, const char *call)
{
    int32_t ctx;
    int rc;

    if (!newcomm)
        return pm_err_comm(c->handle, MPI_ERR_ARG, call, "NULL output");
    if ((rc = pm_ctx_agree(c, &ctx, call)))
        return rc;
    return pm_comm_new(c, c->world, c->size, ctx, 1, newcomm, call);
}

PRAAS_API int MPI_Comm_dup(MPI_Comm comm, MPI_Comm *newcomm)
{
    PM_GET_COMM(c, comm, "MPI_Comm_dup");
    return pm_dup(c, newcomm, "MPI_Comm_dup");
}

PRAAS_API int MPI_Comm_dup_with_info(MPI_Comm comm, MPI_Info info, MPI_Comm *newcomm)
{
    (void)info; /* no communicator hints */
    PM_GET_COMM(c, comm, "MPI_Comm_dup_with_info");
    return pm_dup(c, newcomm, "MPI_Comm_dup_with_info");
}

/* The duplicate is made at once (one allgather), and the request is
 * complete: MPI allows it, at the cost of blocking until every member
 * calls MPI_Comm_idup. */
PRAAS_API int MPI_Comm_idup(MPI_Comm comm, MPI_Comm *newcomm, MPI_Request *request)
{
    int rc;

    PM_GET_COMM(c, comm, "MPI_Comm_idup");
    if (!request)
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Comm_idup", "NULL request");
    if ((rc = pm_dup(c, newcomm, "MPI_Comm_idup")))
        return rc;
    rc = pm_req_new_multi(NULL, 0, MPI_WIN_NULL, request);
    return rc ? pm_err_comm(comm, rc, "MPI_Comm_idup", "no memory for a request")
              : MPI_SUCCESS;
}

PRAAS_API int MPI_Comm_free(MPI_Comm *comm)
{
    pm_comm_t *c;
    int rc;

    PM_CHECK_INIT("MPI_Comm_free");
    c = comm ? pm_comm(*comm) : NULL;
    if (!c)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_COMM, "MPI_Comm_free",
                           "not a communicator");
    if (c == &pm_world || c == &pm_self)
        return pm_err_comm(*comm, MPI_ERR_COMM, "MPI_Comm_free", "%s cannot be freed",
                           c->name);
    rc = pm_attrs_clear(&c->attrs, PM_COMM, c->handle);
    if (rc)
        return pm_err_comm(*comm, rc, "MPI_Comm_free", "an attribute delete callback failed");
    pm_errh_unref(c->errh);
    pm_handle_del(PM_COMM, c->handle);
    pm_comm_unref(c); /* pending non-blocking collectives keep it */
    *comm = MPI_COMM_NULL;
    return MPI_SUCCESS;
}

/* How two lists of world ranks compare: MPI_IDENT (same order),
 * MPI_SIMILAR (same members), MPI_UNEQUAL. */
static int pm_ranks_compare(const int *a, int na, const int *b, int nb)
{
    int same_order = 1;

    if (na != nb)
        return MPI_UNEQUAL;
    for (int i = 0; i < na; i++) {
        int found = 0;
        if (a[i] != b[i])
            same_order = 0;
        for (int j = 0; j < nb && !found; j++)
            found = a[i] == b[j];
        if (!found)
            return MPI_UNEQUAL;
    }
    return same_order ? MPI_IDENT : MPI_SIMILAR;
}

PRAAS_API int MPI_Comm_compare(MPI_Comm comm1, MPI_Comm comm2, int *result)
{
    int cmp;

    PM_GET_COMM(a, comm1, "MPI_Comm_compare");
    pm_comm_t *b = pm_comm(comm2);

    if (!b || !result)
        return pm_err_comm(comm1, MPI_ERR_COMM, "MPI_Comm_compare",
                           "second argument is not a communicator, or NULL output");
    if (a == b) {
        *result = MPI_IDENT;
        return MPI_SUCCESS;
    }
    cmp = pm_ranks_compare(a->world, a->size, b->world, b->size);
    *result = cmp == MPI_IDENT ? MPI_CONGRUENT : cmp;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Comm_group(MPI_Comm comm, MPI_Group *group)
{
    int rc;

    PM_GET_COMM(c, comm, "MPI_Comm_group");
    if (!group)
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Comm_group", "NULL output");
    rc = pm_group_make(c->world, c->size, group);
    return rc ? pm_err_comm(comm, rc, "MPI_Comm_group", "no memory") : MPI_SUCCESS;
}

PRAAS_API int MPI_Comm_test_inter(MPI_Comm comm, int *flag)
{
    PM_GET_COMM(c, comm, "MPI_Comm_test_inter");
    (void)c;
    if (!flag)
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Comm_test_inter", "NULL output");
    *flag = 0;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Comm_get_parent(MPI_Comm *parent)
{
    PM_CHECK_INIT("MPI_Comm_get_parent");
    if (!parent)
        return pm_err_comm(MPI_COMM_WORLD, MPI_ERR_ARG, "MPI_Comm_get_parent", "NULL output");
    *parent = MPI_COMM_NULL; /* never spawned */
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Topo_test(MPI_Comm comm, int *status)
{
    PM_GET_COMM(c, comm, "MPI_Topo_test");
    (void)c;
    if (!status)
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Topo_test", "NULL output");
    *status = MPI_UNDEFINED;
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Comm_set_name(MPI_Comm comm, const char *comm_name)
{
    PM_GET_COMM(c, comm, "MPI_Comm_set_name");
    if (!comm_name)
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Comm_set_name", "NULL name");
    snprintf(c->name, sizeof(c->name), "%s", comm_name);
    return MPI_SUCCESS;
}

PRAAS_API int MPI_Comm_get_name(MPI_Comm comm, char *comm_name, int *resultlen)
{
    PM_GET_COMM(c, comm, "MPI_Comm_get_name");
    if (!comm_name || !resultlen)
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Comm_get_name", "NULL output");
    pm_copy_name(comm_name, c->name, resultlen);
    return MPI_SUCCESS;
}

/* ---- split and create ---- */

typedef struct pm_split_entry {
    int32_t color, key, ctx;
} pm_split_entry_t;

static int pm_split(pm_comm_t *c, int color, int key, MPI_Comm *newcomm, const char *call)
{
    pm_split_entry_t mine = {color, key, pm_ctx_propose()}, *all;
    int32_t ctx = 0;
    int *world, n = 0, rc;

    if (!newcomm)
        return pm_err_comm(c->handle, MPI_ERR_ARG, call, "NULL output");
    if (color < 0 && color != MPI_UNDEFINED)
        return pm_err_comm(c->handle, MPI_ERR_ARG, call, "color %d is negative", color);
    all = malloc(sizeof(*all) * (size_t)c->size);
    world = malloc(sizeof(int) * (size_t)c->size);
    if (!all || !world) {
        free(all);
        free(world);
        return pm_err_comm(c->handle, MPI_ERR_NO_MEM, call, "no memory");
    }
    rc = pm_comm_allgather(c, &mine, sizeof(mine), all, call);
    if (rc)
        goto out;
    /* Every process moves its counter past every proposal (one id for all
     * the new communicators: they are disjoint). */
    for (int r = 0; r < c->size; r++)
        ctx = PRAAS_MAX(ctx, all[r].ctx);
    pm_ctx_taken(ctx);
    if (color == MPI_UNDEFINED) {
        *newcomm = MPI_COMM_NULL;
        goto out;
    }
    /* The members in order of key, then of rank in c (an insertion sort:
     * stable, and communicators are small). */
    for (int r = 0; r < c->size; r++) {
        int i;
        if (all[r].color != color)
            continue;
        for (i = n; i > 0 && all[world[i - 1]].key > all[r].key; i--)
            world[i] = world[i - 1];
        world[i] = r;
        n++;
    }
    for (int i = 0; i < n; i++)
        world[i] = c->world[world[i]];
    rc = pm_comm_new(c, world, n, ctx, 0, newcomm, call);
out:
    free(all);
    free(world);
    return rc;
}

PRAAS_API int MPI_Comm_split(MPI_Comm comm, int color, int key, MPI_Comm *newcomm)
{
    PM_GET_COMM(c, comm, "MPI_Comm_split");
    return pm_split(c, color, key, newcomm, "MPI_Comm_split");
}

/* The node of this process, as a color: the launcher places workers in
 * blocks of consecutive ranks per node and says where this one is in its
 * block (PRAAS_LOCAL_RANK), so the block's first rank names the node;
 * without that, a hash of the host name. */
static int pm_node_color(void)
{
    const char *lr = getenv("PRAAS_LOCAL_RANK");
    char host[256] = "";
    unsigned h = 5381;

    if (lr && *lr) {
        char *end;
        long l = strtol(lr, &end, 10);
        if (!*end && l >= 0 && l <= pm_world_rank)
            return pm_world_rank - (int)l;
    }
    gethostname(host, sizeof(host) - 1);
    for (const char *p = host; *p; p++)
        h = h * 33 + (unsigned char)*p;
    return (int)(h & 0x7fffffff);
}

PRAAS_API int MPI_Comm_split_type(MPI_Comm comm, int split_type, int key, MPI_Info info,
                                  MPI_Comm *newcomm)
{
    (void)info;
    PM_GET_COMM(c, comm, "MPI_Comm_split_type");
    if (split_type == MPI_UNDEFINED)
        return pm_split(c, MPI_UNDEFINED, key, newcomm, "MPI_Comm_split_type");
    if (split_type != MPI_COMM_TYPE_SHARED)
        return pm_err_comm(comm, MPI_ERR_ARG, "MPI_Comm_split_type", "unknown split type %d",
                           split_type);
    return pm_split(c, pm_node_color(), key, newcomm, "MPI_Comm_split_type");
}

/* Check that g's members are all in c. */
static int pm_group_in_comm(pm_comm_t *c, const pm_group_t *g, const char *call)
{
    for (int i = 0; i < g->size; i++) {
        int found = 0;
        for (int r = 0; r < c->size && !found; r++)
            found = c->world[r] == g->ranks[i];
        if (!found)
            return pm_err_comm(c->handle, MPI_ERR_GROUP, call,
                               "world rank %d of the group is not in the communicator",
                               g->ranks[i]);
    }
    return MPI_SUCCESS;
}

static int pm_group_me(const pm_group_t *g)
{
    for (int i = 0; i < g->size; i++)
        if (g->ranks[i] == pm_world_rank)
            return i;
    return -1;
}

PRAAS_API int MPI_Comm_create(MPI_Comm comm, MPI_Group group, MPI_Comm *newcomm)
{
    const char *call = "MPI_Comm_create";
    pm_group_t *g;
    int32_t ctx;
    int rc;

    PM_GET_COMM(c, comm, call);
    g = pm_group(group);
    if (!g || !newcomm)
        return pm_err_comm(comm, MPI_ERR_GROUP, call, "not a group, or NULL output");
    if ((rc = pm_group_in_comm(c, g, call)))
        return rc;
    /* Collective over comm: everyone agrees, members keep the result. */
    if ((rc = pm_ctx_agree(c, &ctx, call)))
        return rc;
    if (pm_group_me(g) < 0) {
        *newcomm = MPI_COMM_NULL;
        return MPI_SUCCESS;
    }
    return pm_comm_new(c, g->ranks, g->size, ctx, 0, newcomm, call);
}

PRAAS_API int MPI_Comm_create_group(MPI_Comm comm, MPI_Group group, int tag, MPI_Comm *newcomm)
{
    const char *call = "MPI_Comm_create_group";
    pm_comm_t tmp = {0};
    pm_group_t *g;
    int32_t ctx;
    int rc, me;

    PM_GET_COMM(c, comm, call);
    g = pm_group(group);
    if (!g || !newcomm)
        return pm_err_comm(comm, MPI_ERR_GROUP, call, "not a group, or NULL output");
    if (tag < 0)
        return pm_err_comm(comm, MPI_ERR_TAG, call, "tag %d is negative", tag);
    if ((rc = pm_group_in_comm(c, g, call)))
        return rc;
    me = pm_group_me(g);
    if (me < 0) {
        *newcomm = MPI_COMM_NULL;
        return MPI_SUCCESS;
    }
    /* Collective over the group only: agree among its members, in a
     * context of the parent's that the tag keeps apart from concurrent
     * calls with other groups. */
    tmp.handle = c->handle;
    tmp.ctx = c->ctx | PM_CTX_GRP;
    tmp.rank = me;
    tmp.size = g->size;
    tmp.world = g->ranks;
    atomic_init(&tmp.coll_seq, (unsigned)tag);
    atomic_init(&tmp.refs, 2); /* never freed through unref */
    if ((rc = pm_ctx_agree(&tmp, &ctx, call)))
        return rc;
    return pm_comm_new(c, g->ranks, g->size, ctx, 0, newcomm, call);
}

int pm_comm_private(pm_comm_t *c, pm_comm_t **copy_p, const char *call)
{
    pm_comm_t *p;
    int32_t ctx;
    int rc;

    if ((rc = pm_ctx_agree(c, &ctx, call)))
        return rc;
    p = calloc(1, sizeof(*p));
    if (p)
        p->world = malloc(sizeof(int) * (size_t)c->size);
    if (!p || !p->world) {
        free(p);
        return pm_err_comm(c->handle, MPI_ERR_NO_MEM, call, "no memory");
    }
    memcpy(p->world, c->world, sizeof(int) * (size_t)c->size);
    p->handle = MPI_COMM_WORLD; /* no handle of its own: failures go to the world's */
    p->ctx = ctx;
    p->rank = c->rank;
    p->size = c->size;
    p->errh = MPI_ERRORS_RETURN;
    atomic_init(&p->refs, 1);
    atomic_init(&p->coll_seq, 0);
    *copy_p = p;
    return MPI_SUCCESS;
}

/* The profiling interface: the calls of this file under their PMPI_ names. */
PM_PMPI(MPI_Comm_rank)
PM_PMPI(MPI_Comm_size)
PM_PMPI(MPI_Comm_dup)
PM_PMPI(MPI_Comm_dup_with_info)
PM_PMPI(MPI_Comm_idup)
PM_PMPI(MPI_Comm_free)
PM_PMPI(MPI_Comm_compare)
PM_PMPI(MPI_Comm_group)
PM_PMPI(MPI_Comm_test_inter)
PM_PMPI(MPI_Comm_get_parent)
PM_PMPI(MPI_Topo_test)
PM_PMPI(MPI_Comm_set_name)
PM_PMPI(MPI_Comm_get_name)
PM_PMPI(MPI_Comm_split)
PM_PMPI(MPI_Comm_split_type)
PM_PMPI(MPI_Comm_create)
PM_PMPI(MPI_Comm_create_group)
