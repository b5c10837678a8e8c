/* Communicators over arbitrary groups: a split by parity (members in
 * reverse order of rank), a split that leaves the last rank out
 * (MPI_UNDEFINED), MPI_Comm_create, MPI_Comm_create_group and
 * MPI_Comm_idup; on the
 * sub-communicators point-to-point, every collective (a non-commutative
 * user operation included), a fence window and a lock window; and
 * MPI_Comm_compare, groups and MPI_Comm_split_type. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOD 10007

/* 2x2 matrices mod MOD: inout = in x inout (associative, not commutative). */
static void matmul(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    long *a = in, *b = inout;

    (void)dt;
    for (int k = 0; k < *len; k++, a += 4, b += 4) {
        long c[4] = {(a[0] * b[0] + a[1] * b[2]) % MOD, (a[0] * b[1] + a[1] * b[3]) % MOD,
                     (a[2] * b[0] + a[3] * b[2]) % MOD, (a[2] * b[1] + a[3] * b[3]) % MOD};
        memcpy(b, c, sizeof(c));
    }
}

static void mat_of(int r, long m[4])
{
    m[0] = r + 2;
    m[1] = 1;
    m[2] = r;
    m[3] = 3;
}

static int bad;
static int myrank;

static void check(int cond, const char *what)
{
    if (!cond) {
        bad++;
        printf("rank %d: WRONG %s\n", myrank, what);
    }
}

/* Every collective on c; world[] gives the world rank of each rank of c. */
static void collectives(MPI_Comm c, const int *world, const char *name)
{
    int r, n, v, *all, *blk, sum = 0;
    char what[128];

    MPI_Comm_rank(c, &r);
    MPI_Comm_size(c, &n);
    all = calloc((size_t)n * 4, sizeof(int));
    blk = calloc((size_t)n * 4, sizeof(int));
    for (int i = 0; i < n; i++)
        sum += world[i] + 1;

    /* point-to-point: a ring */
    int right = (r + 1) % n, left = (r + n - 1) % n, got = -1;
    MPI_Sendrecv(&world[r], 1, MPI_INT, right, 7, &got, 1, MPI_INT, left, 7, c,
                 MPI_STATUS_IGNORE);
    snprintf(what, sizeof(what), "%s ring", name);
    check(got == world[left], what);

    MPI_Barrier(c);
    v = r == n - 1 ? 4242 : -1;
    MPI_Bcast(&v, 1, MPI_INT, n - 1, c);
    snprintf(what, sizeof(what), "%s bcast", name);
    check(v == 4242, what);

    v = world[r] + 1;
    int red = -1;
    MPI_Reduce(&v, &red, 1, MPI_INT, MPI_SUM, n / 2, c);
    snprintf(what, sizeof(what), "%s reduce", name);
    if (r == n / 2)
        check(red == sum, what);
    MPI_Allreduce(&v, &red, 1, MPI_INT, MPI_SUM, c);
    snprintf(what, sizeof(what), "%s allreduce", name);
    check(red == sum, what);
    int mx;
    MPI_Allreduce(&v, &mx, 1, MPI_INT, MPI_MAX, c);
    snprintf(what, sizeof(what), "%s allreduce max", name);
    check(mx >= v, what);

    /* a non-commutative user operation: the product in rank order */
    MPI_Datatype mat;
    MPI_Op op;
    long m[4], res[4], expect[4] = {1, 0, 0, 1};
    MPI_Type_contiguous(4, MPI_LONG, &mat);
    MPI_Type_commit(&mat);
    MPI_Op_create(matmul, 0, &op);
    mat_of(world[r], m);
    MPI_Allreduce(m, res, 1, mat, op, c);
    for (int i = n - 1; i >= 0; i--) {
        long x[4];
        int one = 1;
        mat_of(world[i], x);
        matmul(x, expect, &one, &mat);
    }
    snprintf(what, sizeof(what), "%s allreduce of a non-commutative op", name);
    check(!memcmp(res, expect, sizeof(res)), what);
    memset(res, 0, sizeof(res));
    MPI_Reduce(m, res, 1, mat, op, 0, c);
    snprintf(what, sizeof(what), "%s reduce of a non-commutative op", name);
    if (r == 0)
        check(!memcmp(res, expect, sizeof(res)), what);
    MPI_Op_free(&op);
    MPI_Type_free(&mat);

    /* gather, scatter, allgather, alltoall */
    v = world[r] * 10;
    MPI_Gather(&v, 1, MPI_INT, all, 1, MPI_INT, 0, c);
    snprintf(what, sizeof(what), "%s gather", name);
    for (int i = 0; r == 0 && i < n; i++)
        check(all[i] == world[i] * 10, what);
    for (int i = 0; i < n; i++)
        blk[i] = i * 100 + 5;
    v = -1;
    MPI_Scatter(blk, 1, MPI_INT, &v, 1, MPI_INT, n - 1, c);
    snprintf(what, sizeof(what), "%s scatter", name);
    check(v == r * 100 + 5, what);
    v = world[r];
    MPI_Allgather(&v, 1, MPI_INT, all, 1, MPI_INT, c);
    snprintf(what, sizeof(what), "%s allgather", name);
    for (int i = 0; i < n; i++)
        check(all[i] == world[i], what);
    for (int i = 0; i < n; i++)
        blk[i] = r * 1000 + i;
    MPI_Alltoall(blk, 1, MPI_INT, all, 1, MPI_INT, c);
    snprintf(what, sizeof(what), "%s alltoall", name);
    for (int i = 0; i < n; i++)
        check(all[i] == i * 1000 + r, what);
    for (int i = 0; i < n; i++)
        blk[i] = i + r;
    MPI_Reduce_scatter_block(blk, &v, 1, MPI_INT, MPI_SUM, c);
    snprintf(what, sizeof(what), "%s reduce_scatter_block", name);
    check(v == n * r + n * (n - 1) / 2, what);

    /* v-collectives and scan */
    int *counts = calloc((size_t)n, sizeof(int)), *displs = calloc((size_t)n, sizeof(int));
    int mine[4] = {r, r, r, r}, tot = 0;
    for (int i = 0; i < n; i++) {
        counts[i] = i % 3 + 1;
        displs[i] = tot;
        tot += counts[i];
    }
    int *vall = calloc((size_t)tot, sizeof(int));
    MPI_Allgatherv(mine, counts[r], MPI_INT, vall, counts, displs, MPI_INT, c);
    snprintf(what, sizeof(what), "%s allgatherv", name);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < counts[i]; k++)
            check(vall[displs[i] + k] == i, what);
    v = world[r] + 1;
    MPI_Scan(&v, &red, 1, MPI_INT, MPI_SUM, c);
    int pre = 0;
    for (int i = 0; i <= r; i++)
        pre += world[i] + 1;
    snprintf(what, sizeof(what), "%s scan", name);
    check(red == pre, what);
    printf("rank %d: %s of %d ranks (rank %d here): collectives done\n", myrank, name, n, r);
    free(vall);
    free(counts);
    free(displs);
    free(all);
    free(blk);
}

/* A fence window and a lock window on c. */
static void windows(MPI_Comm c, const int *world, const char *name)
{
    int r, n, *base, *buf, one = 1, old = -1;
    MPI_Win win, lwin;
    MPI_Group g1, g2;
    char what[128];

    MPI_Comm_rank(c, &r);
    MPI_Comm_size(c, &n);
    if (n == 1)
        return; /* Debian's Open MPI (osc rdma) refuses windows of one process */
    MPI_Win_allocate(sizeof(int) * 2, sizeof(int), MPI_INFO_NULL, c, &base, &win);
    base[0] = base[1] = -1;
    MPI_Win_fence(0, win);
    MPI_Put(&world[r], 1, MPI_INT, (r + 1) % n, 0, 1, MPI_INT, win);
    MPI_Accumulate(&one, 1, MPI_INT, 0, 1, 1, MPI_INT, MPI_SUM, win);
    MPI_Win_fence(0, win);
    snprintf(what, sizeof(what), "%s fence window put", name);
    check(base[0] == world[(r + n - 1) % n], what);
    snprintf(what, sizeof(what), "%s fence window accumulate", name);
    if (r == 0)
        check(base[1] == n - 1, what);
    MPI_Win_get_group(win, &g1);
    MPI_Comm_group(c, &g2);
    int cmp;
    MPI_Group_compare(g1, g2, &cmp);
    snprintf(what, sizeof(what), "%s window group", name);
    check(cmp == MPI_IDENT, what);
    MPI_Group_free(&g1);
    MPI_Group_free(&g2);
    MPI_Win_fence(0, win);
    MPI_Win_free(&win);

    buf = calloc(2, sizeof(int));
    MPI_Win_create(buf, sizeof(int) * 2, sizeof(int), MPI_INFO_NULL, c, &lwin);
    MPI_Barrier(c);
    MPI_Win_lock(MPI_LOCK_EXCLUSIVE, n - 1, 0, lwin);
    MPI_Fetch_and_op(&one, &old, MPI_INT, n - 1, 0, MPI_SUM, lwin);
    MPI_Win_flush(n - 1, lwin);
    MPI_Win_unlock(n - 1, lwin);
    MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, lwin);
    MPI_Accumulate(&world[r], 1, MPI_INT, 0, 1, 1, MPI_INT, MPI_SUM, lwin);
    MPI_Win_unlock(0, lwin);
    MPI_Barrier(c);
    snprintf(what, sizeof(what), "%s lock window counter", name);
    if (r == n - 1)
        check(buf[0] == n, what);
    check(old >= 0 && old < n, what);
    int tot = 0;
    for (int i = 0; i < n; i++)
        tot += world[i];
    snprintf(what, sizeof(what), "%s lock window accumulate", name);
    if (r == 0)
        check(buf[1] == tot, what);
    /* post/start/complete/wait on it (user memory: the transport path) */
    {
        MPI_Group cg0, right;
        int peer = (r + 1) % n, from = (r + n - 1) % n, v = world[r] + 500;
        MPI_Comm_group(c, &cg0);
        MPI_Group_incl(cg0, 1, &peer, &right);
        MPI_Group left;
        MPI_Group_incl(cg0, 1, &from, &left);
        MPI_Win_post(left, 0, lwin);
        MPI_Win_start(right, 0, lwin);
        MPI_Put(&v, 1, MPI_INT, peer, 0, 1, MPI_INT, lwin);
        MPI_Win_complete(lwin);
        MPI_Win_wait(lwin);
        snprintf(what, sizeof(what), "%s pscw on the created window", name);
        check(buf[0] == world[from] + 500, what);
        MPI_Group_free(&left);
        MPI_Group_free(&right);
        MPI_Group_free(&cg0);
    }
    MPI_Win_free(&lwin);
    free(buf);

    /* a shared-memory window: every member reads its right neighbour's
     * part directly; then post/start/complete/wait with the neighbours */
    MPI_Win swin;
    int *mine, *theirs, du;
    MPI_Aint ssz;
    MPI_Group cg, nb;
    MPI_Win_allocate_shared(sizeof(int), sizeof(int), MPI_INFO_NULL, c, &mine, &swin);
    MPI_Win_lock_all(0, swin);
    *mine = world[r] * 3;
    MPI_Win_sync(swin);
    MPI_Barrier(c);
    MPI_Win_sync(swin);
    MPI_Win_shared_query(swin, (r + 1) % n, &ssz, &du, &theirs);
    snprintf(what, sizeof(what), "%s shared window", name);
    check(ssz == sizeof(int) && du == sizeof(int) && *theirs == world[(r + 1) % n] * 3, what);
    MPI_Win_unlock_all(swin);
    MPI_Comm_group(c, &cg);
    int peers[2] = {(r + 1) % n, (r + n - 1) % n};
    MPI_Group_incl(cg, n > 2 ? 2 : 1, peers, &nb);
    MPI_Win_post(nb, 0, swin);
    MPI_Win_start(nb, 0, swin);
    int val = world[r] + 1000;
    MPI_Put(&val, 1, MPI_INT, (r + 1) % n, 0, 1, MPI_INT, swin);
    MPI_Win_complete(swin);
    MPI_Win_wait(swin);
    snprintf(what, sizeof(what), "%s pscw on the shared window", name);
    check(*mine == world[(r + n - 1) % n] + 1000, what);
    MPI_Group_free(&nb);
    MPI_Group_free(&cg);
    MPI_Win_free(&swin);

    /* a dynamic window: each member attaches a cell, the addresses go
     * round by an allgather, and every member puts into its left
     * neighbour's cell */
    MPI_Win dwin;
    int cell = -1;
    MPI_Aint addr, *addrs = calloc((size_t)n, sizeof(MPI_Aint));
    MPI_Win_create_dynamic(MPI_INFO_NULL, c, &dwin);
    MPI_Win_attach(dwin, &cell, sizeof(int));
    MPI_Get_address(&cell, &addr);
    MPI_Allgather(&addr, 1, MPI_AINT, addrs, 1, MPI_AINT, c);
    MPI_Win_fence(0, dwin);
    val = world[r] + 2000;
    MPI_Put(&val, 1, MPI_INT, (r + n - 1) % n, addrs[(r + n - 1) % n], 1, MPI_INT, dwin);
    MPI_Win_fence(0, dwin);
    snprintf(what, sizeof(what), "%s dynamic window", name);
    check(cell == world[(r + 1) % n] + 2000, what);
    MPI_Win_detach(dwin, &cell);
    MPI_Win_free(&dwin);
    free(addrs);
    printf("rank %d: %s windows done\n", myrank, name);
}

int main(int argc, char **argv)
{
    int size, cmp, *world;
    MPI_Comm par, sub, dup, same, rev, shm, created, grouped;
    MPI_Group wg, eg;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &myrank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    world = calloc((size_t)size, sizeof(int));

    /* by parity, members in reverse order of world rank */
    MPI_Comm_split(MPI_COMM_WORLD, myrank % 2, -myrank, &par);
    {
        int n, k = 0;
        MPI_Comm_size(par, &n);
        for (int w = size - 1; w >= 0; w--)
            if (w % 2 == myrank % 2)
                world[k++] = w;
        check(k == n, "parity split size");
        collectives(par, world, "parity");
        /* One half after the other: Debian's Open MPI names a window's
         * shared-memory file after the communicator's id, which the two
         * halves share, so their windows must not exist at once. */
        if (myrank % 2)
            MPI_Barrier(MPI_COMM_WORLD);
        windows(par, world, "parity");
        if (myrank % 2 == 0)
            MPI_Barrier(MPI_COMM_WORLD);
    }

    /* the last rank left out */
    MPI_Comm_split(MPI_COMM_WORLD, myrank == size - 1 ? MPI_UNDEFINED : 3, myrank, &sub);
    if (myrank == size - 1) {
        check(sub == MPI_COMM_NULL, "MPI_UNDEFINED gives MPI_COMM_NULL");
    } else {
        for (int i = 0; i < size - 1; i++)
            world[i] = i;
        collectives(sub, world, "all-but-last");
        windows(sub, world, "all-but-last");
        MPI_Comm_compare(sub, MPI_COMM_WORLD, &cmp);
        check(size > 1 ? cmp == MPI_UNEQUAL : cmp == MPI_CONGRUENT, "compare sub world");
    }

    /* MPI_Comm_create (collective over the world) and create_group (over
     * the group only): the even ranks */
    MPI_Comm_group(MPI_COMM_WORLD, &wg);
    {
        int range[1][3] = {{0, size - 1, 2}};
        MPI_Group_range_incl(wg, 1, range, &eg);
    }
    MPI_Comm_create(MPI_COMM_WORLD, eg, &created);
    grouped = MPI_COMM_NULL;
    if (myrank % 2 == 0)
        MPI_Comm_create_group(MPI_COMM_WORLD, eg, 99, &grouped);
    if (myrank % 2) {
        check(created == MPI_COMM_NULL, "create: non-member gets MPI_COMM_NULL");
    } else {
        int k = 0;
        for (int w = 0; w < size; w += 2)
            world[k++] = w;
        collectives(created, world, "created");
        collectives(grouped, world, "create_group");
        MPI_Comm_compare(created, grouped, &cmp);
        check(cmp == MPI_CONGRUENT, "compare created and create_group");
        MPI_Comm_free(&created);
        MPI_Comm_free(&grouped);
    }
    MPI_Group_free(&eg);
    MPI_Group_free(&wg);

    /* a non-blocking duplicate of the parity communicator */
    {
        MPI_Comm idup;
        MPI_Request q;
        int n, sum = -1, expect = 0;
        MPI_Comm_idup(par, &idup, &q);
        MPI_Wait(&q, MPI_STATUS_IGNORE);
        MPI_Comm_compare(idup, par, &cmp);
        check(cmp == MPI_CONGRUENT, "compare idup parity");
        MPI_Comm_size(idup, &n);
        MPI_Allreduce(&myrank, &sum, 1, MPI_INT, MPI_SUM, idup);
        for (int w = myrank % 2; w < size; w += 2)
            expect += w;
        check(sum == expect, "allreduce on the idup");
        MPI_Comm_free(&idup);
    }

    /* compare */
    MPI_Comm_dup(MPI_COMM_WORLD, &dup);
    MPI_Comm_compare(dup, MPI_COMM_WORLD, &cmp);
    check(cmp == MPI_CONGRUENT, "compare dup world");
    MPI_Comm_compare(dup, dup, &cmp);
    check(cmp == MPI_IDENT, "compare dup dup");
    MPI_Comm_split(MPI_COMM_WORLD, 0, myrank, &same);
    MPI_Comm_compare(same, MPI_COMM_WORLD, &cmp);
    check(cmp == MPI_CONGRUENT, "compare same-order split world");
    MPI_Comm_split(MPI_COMM_WORLD, 0, -myrank, &rev);
    MPI_Comm_compare(rev, MPI_COMM_WORLD, &cmp);
    check(size > 1 ? cmp == MPI_SIMILAR : cmp == MPI_CONGRUENT, "compare reversed split world");
    for (int i = 0; i < size; i++)
        world[i] = size - 1 - i;
    collectives(rev, world, "reversed");
    windows(rev, world, "reversed");
    MPI_Comm_compare(par, MPI_COMM_WORLD, &cmp);
    check(size > 1 ? cmp == MPI_UNEQUAL : cmp == MPI_CONGRUENT, "compare parity world");

    /* every worker of these runs is on one node */
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &shm);
    MPI_Comm_compare(shm, MPI_COMM_WORLD, &cmp);
    check(cmp == MPI_CONGRUENT, "split_type shared is the world");

    MPI_Comm_free(&shm);
    MPI_Comm_free(&rev);
    MPI_Comm_free(&same);
    MPI_Comm_free(&dup);
    if (sub != MPI_COMM_NULL)
        MPI_Comm_free(&sub);
    MPI_Comm_free(&par);
    free(world);
    printf("rank %d: communicators %s\n", myrank, bad ? "WRONG" : "ok");
    MPI_Finalize();
    return bad != 0;
}
