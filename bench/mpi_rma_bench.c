/*
 * The measurements of bench/rma_bench.c in plain MPI-3.1, to run the same
 * benchmark on Open MPI, MPICH and praas's own MPI layer:
 *
 *   mpicc -I SRCDIR -O2 -o mpi_rma_bench bench/mpi_rma_bench.c bench/bench.c
 *   mpirun -np 2 ./mpi_rma_bench [--window allocate|create] [--label NAME] ...
 *
 * Rank 0 is the origin, rank 1 the target. Rows, op names and options are
 * rma_bench's (bench/README-rma.md):
 *   put, get        MPI_Put / MPI_Get of MPI_BYTE, sizes --min to --max
 *   acc, accd       MPI_Accumulate, MPI_SUM on MPI_INT64_T / MPI_DOUBLE
 *   gacc            MPI_Get_accumulate, MPI_SUM on MPI_INT64_T
 *   fop             MPI_Fetch_and_op, MPI_SUM on one MPI_INT64_T
 *   cas             MPI_Compare_and_swap on one MPI_INT64_T
 *   bput, bget      bi-directional bandwidth: both ranks put (get) a window
 *                   of messages to (from) each other at once
 * in the modes
 *   flush           inside one MPI_Win_lock_all: op(s), MPI_Win_flush(1)
 *   lock            MPI_Win_lock(EXCLUSIVE, 1), op(s), MPI_Win_unlock(1)
 *   fence           op(s), MPI_Win_fence(0) at both ranks
 *   pscw            origin: start, op(s), complete; target: post, wait
 * The target waits in MPI_Barrier during the passive modes and in the
 * epoch calls during the active ones; the origin sends it each active
 * measurement's iteration count with MPI_Bcast (outside the timed part).
 * In bput and bget both ranks are origins and targets: each issues its
 * window of operations to the other and closes the epoch in the same mode
 * (flush: both inside MPI_Win_lock_all; lock: each locks the other; fence;
 * pscw: post, start, ops, complete, wait), rank 0 decides the iteration
 * count and both start after a barrier. The row's bw_MBps is the sum of
 * the two directions' bandwidths (each rank's bytes per sample over its
 * median sample time); the latency columns stay empty.
 * Nothing here is specific to one MPI library.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "bench/bench.h"

#define WARM_NS 200000000u

enum { M_FLUSH, M_LOCK, M_FENCE, M_PSCW, M_COUNT };
enum { O_PUT, O_GET, O_ACC, O_ACCD, O_GACC, O_FOP, O_CAS, O_BPUT, O_BGET, O_COUNT };

static const char *const mode_names[M_COUNT] = {"flush", "lock", "fence", "pscw"};
static const char *const op_names[O_COUNT] = {"put", "get",  "acc",  "accd", "gacc",
                                              "fop", "cas", "bput", "bget"};
#define BI_OPS ((1u << O_BPUT) | (1u << O_BGET))

static const char usage[] =
    "Usage: mpirun -np 2 mpi_rma_bench [OPTIONS]\n"
    "The measurements of rma_bench in MPI-3: window latency and bandwidth from rank 0\n"
    "to rank 1; CSV on rank 0's stdout.\n"
    "  --window allocate|create   MPI_Win_allocate (default) or MPI_Win_create over\n"
    "                             malloc'd memory; --window N is the bandwidth window\n"
    "  --label NAME               the config column (default mpi-FLAVOR)\n"
    "  --modes LIST               comma-separated subset of flush,lock,fence,pscw\n"
    "  --ops LIST                 comma-separated subset of put,get,acc,accd,gacc,fop,cas,\n"
    "                             bput,bget (bi-directional put and get bandwidth)\n"
    "  --acc-max SIZE             largest acc/accd/gacc message (default --max)\n";

static int flavor_create;
static unsigned mode_mask = (1u << M_COUNT) - 1, op_mask = (1u << O_COUNT) - 1;
static size_t acc_max;

typedef struct mb {
    bench_opts_t o;
    int rank, other; /* this rank and the other one */
    MPI_Win win;
    MPI_Group peer; /* the other rank, for post and start */
    void *mem;
    unsigned char *base, *src, *dst, *res;
    double *srcd;
    double *samples;
} mb_t;

static int mb_list(const char *val, const char *const *names, int n, unsigned *mask_p)
{
    unsigned mask = 0;
    char buf[256], *save = NULL;

    if (strlen(val) >= sizeof(buf))
        return -1;
    strcpy(buf, val);
    for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        int k = 0;
        while (k < n && strcmp(w, names[k]))
            k++;
        if (k == n)
            return -1;
        mask |= 1u << k;
    }
    if (!mask)
        return -1;
    *mask_p = mask;
    return 0;
}

static int mb_extra(const char *name, const char *val)
{
    if (!val)
        return -1;
    if (strcmp(name, "--modes") == 0)
        return mb_list(val, mode_names, M_COUNT, &mode_mask) ? -1 : 2;
    if (strcmp(name, "--ops") == 0)
        return mb_list(val, op_names, O_COUNT, &op_mask) ? -1 : 2;
    if (strcmp(name, "--acc-max") == 0)
        return bench_parse_size(val, &acc_max) ? -1 : 2;
    return -1;
}

/* As rma_bench: --window allocate|create is the flavor, --window N the
 * bandwidth window that bench_parse() takes. */
static int mb_take_flavor(int argc, char **argv)
{
    int out = 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--window") == 0 && i + 1 < argc &&
            (strcmp(argv[i + 1], "allocate") == 0 || strcmp(argv[i + 1], "create") == 0)) {
            flavor_create = strcmp(argv[++i], "create") == 0;
            continue;
        }
        argv[out++] = argv[i];
    }
    argv[out] = NULL;
    return out;
}

static int mb_fail(int rc, const char *what, const char *op, size_t size)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;

    MPI_Error_string(rc, msg, &len);
    fprintf(stderr, "mpi_rma_bench: %s (%s, %zu bytes): %s\n", what, op, size, msg);
    return rc;
}

static size_t mb_slot(const mb_t *b, size_t size, int i)
{
    size_t off = (size_t)i * size % b->o.max_size;
    return off + size > b->o.max_size ? 0 : off;
}

/* One operation to the other rank, at offset off of its window. */
static int mb_issue(mb_t *b, int op, size_t size, size_t off)
{
    static const int64_t one = 1, zero = 0;
    int n8 = (int)(size / 8), n = (int)size, t = b->other;

    switch (op) {
    case O_PUT:
    case O_BPUT: return MPI_Put(b->src + off, n, MPI_BYTE, t, (MPI_Aint)off, n, MPI_BYTE, b->win);
    case O_GET:
    case O_BGET: return MPI_Get(b->dst + off, n, MPI_BYTE, t, (MPI_Aint)off, n, MPI_BYTE, b->win);
    case O_ACC:
        return MPI_Accumulate(b->src, n8, MPI_INT64_T, t, (MPI_Aint)off, n8, MPI_INT64_T, MPI_SUM,
                              b->win);
    case O_ACCD:
        return MPI_Accumulate(b->srcd, n8, MPI_DOUBLE, t, (MPI_Aint)off, n8, MPI_DOUBLE, MPI_SUM,
                              b->win);
    case O_GACC:
        return MPI_Get_accumulate(b->src, n8, MPI_INT64_T, b->res, n8, MPI_INT64_T, t,
                                  (MPI_Aint)off, n8, MPI_INT64_T, MPI_SUM, b->win);
    case O_FOP:
        return MPI_Fetch_and_op(&one, b->res, MPI_INT64_T, t, (MPI_Aint)off, MPI_SUM, b->win);
    case O_CAS:
        return MPI_Compare_and_swap(&one, &zero, b->res, MPI_INT64_T, t, (MPI_Aint)off, b->win);
    }
    return MPI_ERR_OTHER;
}

/* One timed sample at an origin: open the epoch (lock, or start; a
 * bi-directional pscw sample also posts its own window first, as the other
 * rank's target), nops operations, close it (flush, unlock, fence,
 * complete, then the bi-directional wait). */
static int mb_sample(mb_t *b, int mode, int op, size_t size, int nops, double *us_p)
{
    int bi = op == O_BPUT || op == O_BGET;
    uint64_t t0 = bench_now_ns();
    int rc = MPI_SUCCESS, rc2 = MPI_SUCCESS;

    if (mode == M_LOCK)
        rc = MPI_Win_lock(MPI_LOCK_EXCLUSIVE, b->other, 0, b->win);
    else if (mode == M_PSCW) {
        if (bi && (rc = MPI_Win_post(b->peer, 0, b->win)))
            return mb_fail(rc, "post", op_names[op], size);
        rc = MPI_Win_start(b->peer, 0, b->win);
    }
    if (rc)
        return mb_fail(rc, mode == M_LOCK ? "lock" : "start", op_names[op], size);
    for (int i = 0; i < nops && !rc; i++)
        rc = mb_issue(b, op, size, mb_slot(b, size, i));
    if (rc)
        mb_fail(rc, "issue", op_names[op], size);
    switch (mode) {
    case M_FLUSH: rc2 = MPI_Win_flush(b->other, b->win); break;
    case M_LOCK: rc2 = MPI_Win_unlock(b->other, b->win); break;
    case M_FENCE: rc2 = MPI_Win_fence(0, b->win); break;
    case M_PSCW:
        rc2 = MPI_Win_complete(b->win);
        if (bi && !rc2)
            rc2 = MPI_Win_wait(b->win);
        break;
    }
    if (rc2)
        return mb_fail(rc2, "closing the epoch", op_names[op], size);
    if (rc)
        return rc;
    *us_p = (double)(bench_now_ns() - t0) / 1000.0;
    return 0;
}

static int mb_target_sample(mb_t *b, int mode)
{
    int rc;

    if (mode == M_FENCE)
        return MPI_Win_fence(0, b->win);
    rc = MPI_Win_post(b->peer, 0, b->win);
    return rc ? rc : MPI_Win_wait(b->win);
}

static int mb_measure(mb_t *b, int mode, int op, size_t size, int nops, bench_stats_t *st,
                      long *n_p)
{
    int active = mode == M_FENCE || mode == M_PSCW;
    long warm = b->o.warmup > 3 ? b->o.warmup : 3;
    long long n = 0;
    int rc;

    if (nops > 1)
        warm = warm / nops > 3 ? warm / nops : 3;
    for (long i = 0; i < warm; i++) {
        rc = b->rank == 0 ? mb_sample(b, mode, op, size, nops, &b->samples[i])
                          : mb_target_sample(b, mode);
        if (rc)
            return rc;
    }
    if (b->rank == 0) {
        bench_stats(b->samples, warm, st);
        n = bench_iters_for(&b->o, st->median * 1000.0);
    }
    if (active && (rc = MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD)))
        return mb_fail(rc, "sending the iteration count", op_names[op], size);
    for (long i = 0; i < n; i++) {
        rc = b->rank == 0 ? mb_sample(b, mode, op, size, nops, &b->samples[i])
                          : mb_target_sample(b, mode);
        if (rc)
            return rc;
    }
    if (b->rank == 0)
        bench_stats(b->samples, n, st);
    *n_p = (long)n;
    return 0;
}

/* Both ranks at once (bput, bget): each runs nops-operation samples to the
 * other; rank 0 picks the count from its warm-up and both start together
 * after a barrier. *mbps_p (rank 0) is the sum of both ranks' bytes per
 * median sample; a collective call of both ranks. */
static int mb_measure_bi(mb_t *b, int mode, int op, size_t size, int nops, double *mbps_p,
                         long *n_p)
{
    long warm = b->o.warmup > 3 ? b->o.warmup : 3;
    double med[2] = {0, 0};
    bench_stats_t st;
    long long n = 0;
    int rc;

    warm = warm / nops > 3 ? warm / nops : 3;
    for (long i = 0; i < warm; i++)
        if ((rc = mb_sample(b, mode, op, size, nops, &b->samples[i])))
            return rc;
    if (b->rank == 0) {
        bench_stats(b->samples, warm, &st);
        n = bench_iters_for(&b->o, st.median * 1000.0);
    }
    rc = MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    if (!rc)
        rc = MPI_Barrier(MPI_COMM_WORLD);
    if (rc)
        return mb_fail(rc, "sending the iteration count", op_names[op], size);
    for (long i = 0; i < n; i++)
        if ((rc = mb_sample(b, mode, op, size, nops, &b->samples[i])))
            return rc;
    bench_stats(b->samples, n, &st);
    rc = MPI_Gather(&st.median, 1, MPI_DOUBLE, med, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    if (rc)
        return mb_fail(rc, "gathering the medians", op_names[op], size);
    if (b->rank == 0)
        *mbps_p = bench_mbps((double)size * nops, med[0]) + bench_mbps((double)size * nops, med[1]);
    *n_p = (long)n;
    return 0;
}

/* The rows of one mode: the one-directional operations (bi == 0; rank 0
 * alone in the passive modes, both ranks in the active ones) or the
 * bi-directional bput and bget (bi != 0; always both ranks). */
static int mb_mode(mb_t *b, int mode, const char *label, int bi)
{
    for (int op = 0; op < O_COUNT; op++) {
        size_t max = op == O_FOP || op == O_CAS ? 8 : b->o.max_size;
        char name[32];

        if (!(op_mask & (1u << op)) || !(BI_OPS & (1u << op)) != !bi)
            continue;
        if ((op == O_ACC || op == O_ACCD || op == O_GACC) && acc_max && acc_max < max)
            max = acc_max;
        snprintf(name, sizeof(name), "%s-%s", op_names[op], mode_names[mode]);
        for (size_t size = op == O_FOP || op == O_CAS ? 8 : b->o.min_size; size && size <= max;
             size = bench_next_size(&b->o, size)) {
            bench_stats_t lat, bw;
            double mbps = -1;
            long n, nbw;
            int rc;

            if (size < 8 && op != O_PUT && op != O_GET && !bi)
                continue;
            if (bi) {
                rc = mb_measure_bi(b, mode, op, size, bench_window(&b->o, size), &mbps, &n);
                if (rc)
                    return rc;
                if (b->rank == 0)
                    bench_row(label, name, size, n, NULL, mbps);
                continue;
            }
            rc = mb_measure(b, mode, op, size, 1, &lat, &n);
            if (!rc && (op == O_PUT || op == O_GET)) {
                int w = bench_window(&b->o, size);
                rc = mb_measure(b, mode, op, size, w, &bw, &nbw);
                mbps = bench_mbps((double)size * w, bw.median);
            }
            if (rc)
                return rc;
            if (b->rank == 0)
                bench_row(label, name, size, n, &lat, mbps);
        }
    }
    return 0;
}

static int mb_validate(mb_t *b)
{
    size_t size = b->o.max_size < 4096 ? b->o.max_size : 4096;
    int64_t one = 1, before = 0, after = 0;
    int rc;

    for (size_t i = 0; i < size; i++)
        b->src[i] = (unsigned char)(i * 131u + 7u);
    memset(b->dst, 0, size);
    rc = MPI_Put(b->src, (int)size, MPI_BYTE, 1, 0, (int)size, MPI_BYTE, b->win);
    if (!rc)
        rc = MPI_Win_flush(1, b->win);
    if (!rc)
        rc = MPI_Get(b->dst, (int)size, MPI_BYTE, 1, 0, (int)size, MPI_BYTE, b->win);
    if (!rc)
        rc = MPI_Win_flush(1, b->win);
    if (!rc)
        rc = MPI_Fetch_and_op(&one, &before, MPI_INT64_T, 1, 0, MPI_SUM, b->win);
    if (!rc)
        rc = MPI_Win_flush(1, b->win);
    if (!rc)
        rc = MPI_Fetch_and_op(&one, &after, MPI_INT64_T, 1, 0, MPI_NO_OP, b->win);
    if (!rc)
        rc = MPI_Win_flush(1, b->win);
    if (rc)
        return mb_fail(rc, "validation", "put/get/fop", size);
    if (memcmp(b->src, b->dst, size) || after != before + 1) {
        fprintf(stderr, "mpi_rma_bench: validation: put/get-back or fetch_and_op gave wrong data\n");
        return MPI_ERR_OTHER;
    }
    for (size_t i = 0; i + 8 <= b->o.max_size; i += 8)
        memcpy(b->src + i, &one, 8);
    return 0;
}

static int mb_passive(mb_t *b, const char *label)
{
    uint64_t warm_end;
    double us;
    int rc;

    rc = MPI_Win_lock_all(0, b->win);
    if (rc)
        return mb_fail(rc, "lock_all", "", 0);
    rc = mb_validate(b);
    warm_end = bench_now_ns() + WARM_NS;
    while (!rc && bench_now_ns() < warm_end) {
        rc = mb_sample(b, M_FLUSH, O_PUT, 8, 1, &us);
        if (!rc)
            rc = mb_sample(b, M_FLUSH, O_GET, 8, 1, &us);
    }
    if (!rc && (mode_mask & (1u << M_FLUSH)))
        rc = mb_mode(b, M_FLUSH, label, 0);
    if (MPI_Win_unlock_all(b->win) && !rc)
        rc = mb_fail(MPI_ERR_OTHER, "unlock_all", "", 0);
    if (!rc && (mode_mask & (1u << M_LOCK)))
        rc = mb_mode(b, M_LOCK, label, 0);
    return rc;
}

static void *mb_alloc(size_t n)
{
    return aligned_alloc(4096, (n + 4095) / 4096 * 4096);
}

int main(int argc, char **argv)
{
    int size, rc, status = 0, other;
    long long go;
    MPI_Group world;
    char label[128];
    mb_t b = {0};

    MPI_Init(&argc, &argv);
    argc = mb_take_flavor(argc, argv);
    if (bench_parse(argc, argv, usage, mb_extra, &b.o) || b.o.max_size < 8 ||
        b.o.max_size > (size_t)INT32_MAX) {
        MPI_Finalize();
        return 2;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &b.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size != 2) {
        if (b.rank == 0)
            fprintf(stderr, "mpi_rma_bench: needs exactly 2 ranks, not %d\n", size);
        MPI_Finalize();
        return 2;
    }
    /* Errors come back as return codes, reported with their text. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    other = 1 - b.rank;
    b.other = other;
    MPI_Comm_group(MPI_COMM_WORLD, &world);
    MPI_Group_incl(world, 1, &other, &b.peer);
    MPI_Group_free(&world);

    b.src = mb_alloc(b.o.max_size);
    b.dst = mb_alloc(b.o.max_size);
    b.res = mb_alloc(b.o.max_size);
    b.srcd = mb_alloc(b.o.max_size);
    b.samples = malloc((size_t)(b.o.max_iters + b.o.warmup + 3) * sizeof(*b.samples));
    if (!b.src || !b.dst || !b.res || !b.srcd || !b.samples) {
        fprintf(stderr, "mpi_rma_bench: no memory for %zu-byte buffers\n", b.o.max_size);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    memset(b.src, 1, b.o.max_size);
    memset(b.dst, 2, b.o.max_size);
    memset(b.res, 3, b.o.max_size);
    for (size_t i = 0; i < b.o.max_size / 8; i++)
        b.srcd[i] = 1.0;

    if (flavor_create) {
        b.mem = mb_alloc(b.o.max_size);
        if (!b.mem)
            MPI_Abort(MPI_COMM_WORLD, 1);
        b.base = b.mem;
        rc = MPI_Win_create(b.mem, (MPI_Aint)b.o.max_size, 1, MPI_INFO_NULL, MPI_COMM_WORLD,
                            &b.win);
    } else {
        rc = MPI_Win_allocate((MPI_Aint)b.o.max_size, 1, MPI_INFO_NULL, MPI_COMM_WORLD, &b.base,
                              &b.win);
    }
    if (rc) {
        mb_fail(rc, flavor_create ? "MPI_Win_create" : "MPI_Win_allocate", "", b.o.max_size);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    MPI_Win_set_errhandler(b.win, MPI_ERRORS_RETURN);
    memset(b.base, 0, b.o.max_size);
    MPI_Barrier(MPI_COMM_WORLD);

    snprintf(label, sizeof(label), "%s", b.o.label ? b.o.label : "");
    if (!b.o.label)
        snprintf(label, sizeof(label), "mpi-%s", flavor_create ? "create" : "allocate");
    if (b.rank == 0) {
        char lib[MPI_MAX_LIBRARY_VERSION_STRING];
        int len = 0;

        MPI_Get_library_version(lib, &len);
        for (int i = 0; i < len; i++)
            if (lib[i] == '\n' || lib[i] == '\r')
                lib[i] = ' ';
        if (b.o.header)
            puts(BENCH_CSV_HEADER);
        printf("# mpi_rma_bench: %s: MPI_Win_%s; %.100s\n", label,
               flavor_create ? "create" : "allocate", lib);
        fflush(stdout);
    }

    /* Passive modes: rank 1 waits in the barrier; then rank 0 says whether
     * to go on. */
    rc = b.rank == 0 ? mb_passive(&b, label) : 0;
    MPI_Barrier(MPI_COMM_WORLD);
    go = rc ? 2 : 1;
    MPI_Bcast(&go, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
    if (go != 1) {
        status = 1;
        goto out;
    }
    /* Bi-directional passive modes: both ranks origins, both in lock_all
     * for flush. */
    if ((op_mask & BI_OPS) && (mode_mask & ((1u << M_FLUSH) | (1u << M_LOCK)))) {
        rc = 0;
        if (mode_mask & (1u << M_FLUSH)) {
            rc = MPI_Win_lock_all(0, b.win);
            if (!rc)
                rc = mb_mode(&b, M_FLUSH, label, 1);
            if (MPI_Win_unlock_all(b.win) && !rc)
                rc = MPI_ERR_OTHER;
        }
        if (!rc && (mode_mask & (1u << M_LOCK)))
            rc = mb_mode(&b, M_LOCK, label, 1);
        if (rc) {
            mb_fail(rc, "bi-directional passive modes", "", 0);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    }
    if (mode_mask & ((1u << M_FENCE) | (1u << M_PSCW))) {
        rc = MPI_Win_fence(0, b.win);
        if (!rc && (mode_mask & (1u << M_FENCE)))
            rc = mb_mode(&b, M_FENCE, label, 0);
        if (!rc && (mode_mask & (1u << M_FENCE)))
            rc = mb_mode(&b, M_FENCE, label, 1);
        if (!rc)
            rc = MPI_Win_fence(MPI_MODE_NOSUCCEED, b.win);
        if (!rc && (mode_mask & (1u << M_PSCW)))
            rc = mb_mode(&b, M_PSCW, label, 0);
        if (!rc && (mode_mask & (1u << M_PSCW)))
            rc = mb_mode(&b, M_PSCW, label, 1);
        if (rc) {
            mb_fail(rc, "active modes", "", 0);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    }
out:
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Win_free(&b.win);
    MPI_Group_free(&b.peer);
    MPI_Finalize();
    free(b.mem);
    free(b.src);
    free(b.dst);
    free(b.res);
    free(b.srcd);
    free(b.samples);
    return status;
}
