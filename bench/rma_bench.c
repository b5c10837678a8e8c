/*
 * Window (RMA) latency and bandwidth through the public API, between two
 * workers launched by praas-run: rank 0 is the origin, rank 1 the target.
 *
 *   praas-run -n 2 bench/rma_bench [--window allocate|create] [--label NAME] ...
 *
 * bench/mpi_rma_bench.c makes the same measurements with MPI-3 calls and
 * prints the same rows, so that the two compare line by line
 * (bench/README-rma.md).
 *
 * Operations (the op column is OP-MODE, e.g. put-flush, fop-fence):
 *   put, get        praas_put / praas_get, sizes --min to --max
 *   acc, accd       praas_accumulate, SUM on int64 / on double
 *   gacc            praas_get_accumulate, SUM on int64
 *   fop             praas_fetch_and_op, SUM on one int64 (8 bytes only)
 *   cas             praas_compare_and_swap on one int64 (8 bytes only)
 * Synchronization modes, one sample = open, the operation(s), close:
 *   flush           inside one lock_all epoch: op(s), praas_win_flush(1)
 *   lock            praas_win_lock(EXCLUSIVE, 1), op(s), praas_win_unlock(1)
 *   fence           op(s), praas_win_fence(0) at both ranks
 *   pscw            origin: start({1}), op(s), complete; target: post({0}), wait
 * Latency is the median time of one sample with one operation. For put and
 * get, the same row's bw_MBps is a sample with bench_window() operations
 * to consecutive places, bytes over the median sample time.
 *
 * With --floor (same-node windows), each put and get bandwidth sample of
 * the flush mode is followed by a memcpy sample of the same operations
 * between two private buffers of rank 0 (put: src to a scratch buffer;
 * get: the scratch buffer to dst), and a row with the config column
 * memcpy-inline and the same op gives its figures: a floor measured in the
 * same process, sample for sample, so that the ratio does not depend on
 * when a separate floor program ran on this shared machine.
 *
 * With --raw LABEL (created windows: the transport path), each put and get
 * sample of the flush mode, latency and bandwidth alike, is paired with a
 * sample of the raw transport below the window layer, as tp_bench takes
 * it (tp_put()s then tp_flush() and tp_comp_wait(); tp_get()s then
 * tp_comp_wait()), on the same endpoints, to a region of the same size
 * that each rank registered beside its window; the pair's order alternates
 * from sample to sample. Rows with the config column LABEL give the raw
 * figures: the praas / raw ratio then compares samples taken in the same
 * process, microseconds apart, with the target waiting in the same fence,
 * not two programs run at different moments on a machine whose speed
 * changes (bench/README-rma.md). This reaches below the public API, so the
 * program links the convenience library, as tp_bench does.
 *
 * The target only waits: during the passive modes (flush, lock) in a fence
 * of a second, small window of the same flavor (the barrier-like sync: with
 * created windows it polls the transport there, as a target in MPI_Barrier
 * does; allocated ones leave the transport to the progress thread, as
 * their data path needs none); in the active modes (fence,
 * pscw) in the epoch calls themselves. The origin picks each
 * measurement's iteration count from its warm-up (bench_iters_for()) and
 * sends it to the target through the small window, so that both make the
 * same number of epoch calls.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "core/context.h"
#include "praas.h"
#include "transport/transport.h"

#define WARM_NS 200000000u /* untimed put/get before the first measurement */
#define RAW_KEY_MAX 1024   /* room for one packed remote key (--raw) */

enum { M_FLUSH, M_LOCK, M_FENCE, M_PSCW, M_COUNT };
enum { O_PUT, O_GET, O_ACC, O_ACCD, O_GACC, O_FOP, O_CAS, O_COUNT };

static const char *const mode_names[M_COUNT] = {"flush", "lock", "fence", "pscw"};
static const char *const op_names[O_COUNT] = {"put", "get", "acc", "accd", "gacc", "fop", "cas"};

static const char usage[] =
    "Usage: praas-run -n 2 rma_bench [OPTIONS]\n"
    "Window latency and bandwidth (put, get, accumulate, get_accumulate,\n"
    "fetch_and_op, compare_and_swap) in the flush, lock, fence and pscw modes, from\n"
    "rank 0 to rank 1; CSV on rank 0's stdout.\n"
    "  --window allocate|create   praas_win_allocate (default; shared memory on one\n"
    "                             node) or praas_win_create over malloc'd memory (the\n"
    "                             transport path); --window N is the bandwidth window\n"
    "  --label NAME               the config column (default praas-FLAVOR-TRANSPORT)\n"
    "  --modes LIST               comma-separated subset of flush,lock,fence,pscw\n"
    "  --ops LIST                 comma-separated subset of put,get,acc,accd,gacc,fop,cas\n"
    "  --acc-max SIZE             largest acc/accd/gacc message (default --max)\n"
    "  --origin-progress manual|thread\n"
    "                             rank 0's progress engine (default manual, as in\n"
    "                             tp_bench: its waiting thread polls anyway)\n"
    "  --floor                    interleave memcpy samples with the flush mode's\n"
    "                             put/get bandwidth samples (rows memcpy-inline)\n"
    "  --raw LABEL                pair each put/get sample of the flush mode with a\n"
    "                             raw transport sample (tp_put/tp_get, as tp_bench)\n"
    "                             on the same endpoints; their rows are labeled LABEL\n";

/* Options of this program only (bench_opts_t has the common ones). */
static int flavor_create;
static unsigned mode_mask = (1u << M_COUNT) - 1, op_mask = (1u << O_COUNT) - 1;
static size_t acc_max;
static const char *origin_progress = "manual";
static int floor_inline;
static const char *raw_label; /* --raw: the raw rows' config column, or NULL */

typedef struct rb {
    bench_opts_t o;
    int rank;
    praas_win_t win, ctl;
    void *mem;       /* created windows: the user memory */
    void *ctl_mem;   /* created windows: the small window's user memory */
    unsigned char *base, *src, *dst, *res;
    double *srcd;    /* 1.0s: the double accumulates' source */
    int64_t *ctl_base;
    size_t win_bytes;
    double *samples;
    double *floor_samples; /* --floor: the memcpy samples */
    /* --raw: the transport below the window, on a region of max_size bytes
     * at each rank (registered beside the window), addressed at rank 1. */
    tp_ctx_t *tp;
    void *raw_mem;
    tp_mr_t *raw_mr;
    tp_rkey_t *raw_rkey;
    double *raw_samples;
} rb_t;

static int rb_list(const char *val, const char *const *names, int n, unsigned *mask_p)
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

static int rb_extra(const char *name, const char *val)
{
    if (strcmp(name, "--floor") == 0) {
        floor_inline = 1;
        return 1;
    }
    if (!val)
        return -1;
    if (strcmp(name, "--modes") == 0)
        return rb_list(val, mode_names, M_COUNT, &mode_mask) ? -1 : 2;
    if (strcmp(name, "--ops") == 0)
        return rb_list(val, op_names, O_COUNT, &op_mask) ? -1 : 2;
    if (strcmp(name, "--raw") == 0 && *val) {
        raw_label = val;
        return 2;
    }
    if (strcmp(name, "--acc-max") == 0)
        return bench_parse_size(val, &acc_max) ? -1 : 2;
    if (strcmp(name, "--origin-progress") == 0 &&
        (strcmp(val, "thread") == 0 || strcmp(val, "manual") == 0)) {
        origin_progress = val;
        return 2;
    }
    return -1;
}

/* bench_parse() owns --window N (operations in flight); --window allocate
 * and --window create name the window's flavor, so take those out first. */
static int rb_take_flavor(int argc, char **argv)
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

static int rb_fail(int rc, const char *what, const char *op, size_t size)
{
    fprintf(stderr, "rma_bench: %s (%s, %zu bytes): %s: %s\n", what, op, size,
            praas_strerror(rc), praas_errmsg());
    return rc;
}

/* Where the i-th operation of a sample goes: consecutive places, wrapping
 * inside the first max_size bytes. */
static size_t rb_slot(const rb_t *b, size_t size, int i)
{
    size_t off = (size_t)i * size % b->o.max_size;
    return off + size > b->o.max_size ? 0 : off;
}

static int rb_issue(rb_t *b, int op, size_t size, size_t off)
{
    static const int64_t one = 1, zero = 0;
    size_t n8 = size / 8;

    switch (op) {
    case O_PUT: return praas_put(b->src + off, size, PRAAS_BYTE, 1, off, b->win);
    case O_GET: return praas_get(b->dst + off, size, PRAAS_BYTE, 1, off, b->win);
    case O_ACC: return praas_accumulate(b->src, n8, PRAAS_INT64, 1, off, PRAAS_OP_SUM, b->win);
    case O_ACCD:
        return praas_accumulate(b->srcd, n8, PRAAS_DOUBLE, 1, off, PRAAS_OP_SUM, b->win);
    case O_GACC:
        return praas_get_accumulate(b->src, b->res, n8, PRAAS_INT64, 1, off, PRAAS_OP_SUM,
                                    b->win);
    case O_FOP: return praas_fetch_and_op(&one, b->res, PRAAS_INT64, 1, off, PRAAS_OP_SUM, b->win);
    case O_CAS:
        return praas_compare_and_swap(&one, &zero, b->res, PRAAS_INT64, 1, off, b->win);
    }
    return PRAAS_ERR_INVALID;
}

/* One origin sample: open the epoch (lock, start), nops operations, close
 * it (flush, unlock, fence, complete). *us_p gets the time. */
static int rb_sample(rb_t *b, int mode, int op, size_t size, int nops, double *us_p)
{
    static const int target = 1;
    uint64_t t0 = bench_now_ns();
    int rc = 0, rc2 = 0;

    if (mode == M_LOCK)
        rc = praas_win_lock(PRAAS_LOCK_EXCLUSIVE, 1, 0, b->win);
    else if (mode == M_PSCW)
        rc = praas_win_start(&target, 1, 0, b->win);
    if (rc)
        return rb_fail(rc, mode == M_LOCK ? "lock" : "start", op_names[op], size);
    for (int i = 0; i < nops && !rc; i++)
        rc = rb_issue(b, op, size, rb_slot(b, size, i));
    if (rc)
        rb_fail(rc, "issue", op_names[op], size);
    /* Close the epoch even after a failure, so that the target's calls
     * still match ours. */
    switch (mode) {
    case M_FLUSH: rc2 = praas_win_flush(1, b->win); break;
    case M_LOCK: rc2 = praas_win_unlock(1, b->win); break;
    case M_FENCE: rc2 = praas_win_fence(0, b->win); break;
    case M_PSCW: rc2 = praas_win_complete(b->win); break;
    }
    if (rc2)
        return rb_fail(rc2, "closing the epoch", op_names[op], size);
    if (rc)
        return rc;
    *us_p = (double)(bench_now_ns() - t0) / 1000.0;
    return 0;
}

/* The --floor sample beside an origin sample of put or get: the same
 * nops copies of size bytes at the same places, between private buffers
 * (res is the scratch buffer: put and get do not use it). */
static void rb_copy_sample(rb_t *b, int op, size_t size, int nops, double *us_p)
{
    uint64_t t0 = bench_now_ns();

    for (int i = 0; i < nops; i++) {
        size_t off = rb_slot(b, size, i);
        if (op == O_PUT)
            memcpy(b->res + off, b->src + off, size);
        else
            memcpy(b->dst + off, b->res + off, size);
    }
    *us_p = (double)(bench_now_ns() - t0) / 1000.0;
}

/* The --raw sample beside an origin sample of put or get: what tp_bench
 * times (tb_sample), the same nops operations of size bytes at the same
 * places of rank 1's raw region: puts then tp_flush() (remote completion)
 * and tp_comp_wait(); gets then tp_comp_wait(). */
static int rb_raw_sample(rb_t *b, int op, size_t size, int nops, double *us_p)
{
    static const int timeout_ms = 60000;
    uint64_t t0 = bench_now_ns();
    tp_comp_t comp;
    int rc = 0;

    tp_comp_init(&comp);
    for (int i = 0; i < nops && !rc; i++) {
        size_t off = rb_slot(b, size, i);
        for (int tries = 0;; tries++) { /* ride out a full queue, as tp_bench */
            rc = op == O_PUT ? tp_put(b->tp, 1, b->src + off, size, b->raw_rkey, off, &comp)
                             : tp_get(b->tp, 1, b->dst + off, size, b->raw_rkey, off, &comp);
            if (rc != PRAAS_ERR_AGAIN || tries == 1000)
                break;
            tp_progress(b->tp);
        }
    }
    if (!rc && op == O_PUT)
        rc = tp_flush(b->tp, 1, timeout_ms);
    /* comp lives on this stack: wait for what was issued even after a
     * failure. */
    if (rc) {
        tp_comp_wait(b->tp, &comp, timeout_ms);
        return rb_fail(rc, "raw transport sample", op_names[op], size);
    }
    rc = tp_comp_wait(b->tp, &comp, timeout_ms);
    if (rc)
        return rb_fail(rc, "raw transport completion", op_names[op], size);
    *us_p = (double)(bench_now_ns() - t0) / 1000.0;
    return 0;
}

/* One origin sample and the samples paired with it (--floor, --raw). The
 * raw sample goes first on odd samples, so that neither path always runs
 * right after the other. */
static int rb_origin_sample(rb_t *b, int mode, int op, size_t size, int nops, long i,
                            int copy, int raw)
{
    int rc;

    if (raw && (i & 1) && (rc = rb_raw_sample(b, op, size, nops, &b->raw_samples[i])))
        return rc;
    rc = rb_sample(b, mode, op, size, nops, &b->samples[i]);
    if (rc)
        return rc;
    if (copy)
        rb_copy_sample(b, op, size, nops, &b->floor_samples[i]);
    if (raw && !(i & 1))
        rc = rb_raw_sample(b, op, size, nops, &b->raw_samples[i]);
    return rc;
}

/* The target's side of one sample in the active modes. */
static int rb_target_sample(rb_t *b, int mode)
{
    static const int origin = 0;
    int rc;

    if (mode == M_FENCE)
        return praas_win_fence(0, b->win);
    rc = praas_win_post(&origin, 1, 0, b->win);
    return rc ? rc : praas_win_wait(b->win);
}

/* Rank 0 sends v to rank 1 through the small window (both call this). */
static int rb_send_count(rb_t *b, int64_t *v)
{
    int rc = 0;

    if (b->rank == 0)
        rc = praas_put(v, 1, PRAAS_INT64, 1, 0, b->ctl);
    if (!rc)
        rc = praas_win_fence(0, b->ctl);
    if (!rc && b->rank == 1)
        *v = b->ctl_base[0];
    return rc;
}

/* One measurement: the warm-up (which also sizes the run), then the timed
 * samples. Both ranks call it in the active modes; only rank 0 in the
 * passive ones. */
static int rb_measure(rb_t *b, int mode, int op, size_t size, int nops, bench_stats_t *st,
                      long *n_p, bench_stats_t *floor_st, bench_stats_t *raw_st)
{
    /* Only rank 0 copies and drives the raw path: the target's calls do
     * not depend on it. */
    int copy = floor_st && b->rank == 0;
    int raw = raw_st && b->rank == 0;
    int active = mode == M_FENCE || mode == M_PSCW;
    long warm = b->o.warmup > 3 ? b->o.warmup : 3;
    int64_t n = 0;
    int rc;

    if (nops > 1)
        warm = warm / nops > 3 ? warm / nops : 3;
    for (long i = 0; i < warm; i++) {
        rc = b->rank == 0 ? rb_origin_sample(b, mode, op, size, nops, i, copy, raw)
                          : rb_target_sample(b, mode);
        if (rc)
            return rc;
    }
    if (b->rank == 0) {
        bench_stats(b->samples, warm, st);
        n = bench_iters_for(&b->o, st->median * 1000.0);
    }
    if (active && (rc = rb_send_count(b, &n)))
        return rb_fail(rc, "sending the iteration count", op_names[op], size);
    for (long i = 0; i < n; i++) {
        rc = b->rank == 0 ? rb_origin_sample(b, mode, op, size, nops, i, copy, raw)
                          : rb_target_sample(b, mode);
        if (rc)
            return rc;
    }
    if (b->rank == 0)
        bench_stats(b->samples, n, st);
    if (copy)
        bench_stats(b->floor_samples, n, floor_st);
    if (raw)
        bench_stats(b->raw_samples, n, raw_st);
    *n_p = n;
    return 0;
}

/* Every measurement of one mode, in the same order at both ranks. */
static int rb_mode(rb_t *b, int mode, const char *label)
{
    for (int op = 0; op < O_COUNT; op++) {
        size_t max = op == O_FOP || op == O_CAS ? 8 : b->o.max_size;
        char name[32];

        if (!(op_mask & (1u << op)))
            continue;
        if ((op == O_ACC || op == O_ACCD || op == O_GACC) && acc_max && acc_max < max)
            max = acc_max;
        snprintf(name, sizeof(name), "%s-%s", op_names[op], mode_names[mode]);
        for (size_t size = op == O_FOP || op == O_CAS ? 8 : b->o.min_size; size && size <= max;
             size = bench_next_size(&b->o, size)) {
            bench_stats_t lat, bw, fl, rlat, rbw;
            int floor = floor_inline && mode == M_FLUSH && (op == O_PUT || op == O_GET);
            int raw = raw_label && mode == M_FLUSH && (op == O_PUT || op == O_GET);
            int w = bench_window(&b->o, size);
            double mbps = -1;
            long n, nbw = 0;
            int rc;

            if (size < 8 && op != O_PUT && op != O_GET)
                continue;
            rc = rb_measure(b, mode, op, size, 1, &lat, &n, NULL, raw ? &rlat : NULL);
            if (!rc && (op == O_PUT || op == O_GET)) {
                rc = rb_measure(b, mode, op, size, w, &bw, &nbw, floor ? &fl : NULL,
                                raw ? &rbw : NULL);
                mbps = bench_mbps((double)size * w, bw.median);
            }
            if (rc)
                return rc;
            if (b->rank == 0)
                bench_row(label, name, size, n, &lat, mbps);
            if (b->rank == 0 && floor)
                bench_row("memcpy-inline", name, size, nbw, &fl,
                          bench_mbps((double)size * w, fl.median));
            if (b->rank == 0 && raw)
                bench_row(raw_label, name, size, n, &rlat,
                          bench_mbps((double)size * w, rbw.median));
        }
    }
    return 0;
}

/* Before timing: a put and a get-back must move the right bytes, and
 * fetch_and_op must count. Rank 0 only, in the lock_all epoch. */
static int rb_validate(rb_t *b)
{
    size_t size = b->o.max_size < 4096 ? b->o.max_size : 4096;
    int64_t one = 1, before = 0, after = 0;
    int rc;

    for (size_t i = 0; i < size; i++)
        b->src[i] = (unsigned char)(i * 131u + 7u);
    memset(b->dst, 0, size);
    rc = praas_put(b->src, size, PRAAS_BYTE, 1, 0, b->win);
    if (!rc)
        rc = praas_win_flush(1, b->win);
    if (!rc)
        rc = praas_get(b->dst, size, PRAAS_BYTE, 1, 0, b->win);
    if (!rc)
        rc = praas_win_flush(1, b->win);
    if (!rc)
        rc = praas_fetch_and_op(&one, &before, PRAAS_INT64, 1, 0, PRAAS_OP_SUM, b->win);
    if (!rc)
        rc = praas_win_flush(1, b->win);
    if (!rc)
        rc = praas_fetch_and_op(&one, &after, PRAAS_INT64, 1, 0, PRAAS_OP_NO_OP, b->win);
    if (!rc)
        rc = praas_win_flush(1, b->win);
    if (rc)
        return rb_fail(rc, "validation", "put/get/fop", size);
    if (memcmp(b->src, b->dst, size) || after != before + 1) {
        fprintf(stderr, "rma_bench: validation: put/get-back or fetch_and_op gave wrong data\n");
        return PRAAS_ERR_INTERNAL;
    }
    /* The sources of the timed accumulates: small values, no overflow
     * (and no denormal doubles, which would time the FPU's slow path). */
    for (size_t i = 0; i + 8 <= b->o.max_size; i += 8) {
        memcpy(b->src + i, &one, 8);
        b->srcd[i / 8] = 1.0;
    }
    return 0;
}

/* --raw: register a region of max_size bytes at each rank with the
 * transport and give rank 0 rank 1's key (collective, as tp_bench's). */
static int rb_raw_open(rb_t *b)
{
    unsigned char mine[RAW_KEY_MAX], all[2 * RAW_KEY_MAX];
    size_t len = RAW_KEY_MAX - 4;
    uint32_t klen;
    int rc;

    b->tp = core_tp();
    b->raw_mem = aligned_alloc(4096, (b->o.max_size + 4095) / 4096 * 4096);
    if (!b->raw_mem)
        return rb_fail(PRAAS_ERR_NOMEM, "raw region", "", b->o.max_size);
    memset(b->raw_mem, 0, b->o.max_size);
    rc = tp_mr_reg(b->tp, b->raw_mem, b->o.max_size, &b->raw_mr);
    if (rc)
        return rb_fail(rc, "registering the raw region", "", b->o.max_size);
    rc = tp_mr_pack(b->tp, b->raw_mr, mine + 4, &len);
    if (rc)
        return rb_fail(rc, "packing the raw region's key", "", b->o.max_size);
    klen = (uint32_t)len;
    memcpy(mine, &klen, 4);
    rc = core_exchange(mine, RAW_KEY_MAX, all, 60000);
    if (rc)
        return rb_fail(rc, "exchanging the raw regions' keys", "", RAW_KEY_MAX);
    if (b->rank != 0)
        return 0;
    memcpy(&klen, all + RAW_KEY_MAX, 4);
    if (klen > RAW_KEY_MAX - 4)
        return rb_fail(PRAAS_ERR_PROTOCOL, "rank 1's raw key length", "", klen);
    rc = tp_rkey_unpack(b->tp, 1, all + RAW_KEY_MAX + 4, klen, &b->raw_rkey);
    return rc ? rb_fail(rc, "unpacking rank 1's raw key", "", klen) : 0;
}

static void rb_raw_close(rb_t *b)
{
    if (b->raw_rkey)
        tp_rkey_release(b->tp, b->raw_rkey);
    if (b->raw_mr)
        tp_mr_dereg(b->tp, b->raw_mr);
    free(b->raw_mem);
}

/* Before timing the raw path: a raw put and a raw get-back of up to 4 KiB
 * must move the right bytes. Rank 0 only. */
static int rb_raw_validate(rb_t *b)
{
    size_t size = b->o.max_size < 4096 ? b->o.max_size : 4096;
    double us;
    int rc;

    for (size_t i = 0; i < size; i++)
        b->src[i] = (unsigned char)(i * 37u + 11u);
    memset(b->dst, 0, size);
    rc = rb_raw_sample(b, O_PUT, size, 1, &us);
    if (!rc)
        rc = rb_raw_sample(b, O_GET, size, 1, &us);
    if (rc)
        return rc;
    if (memcmp(b->src, b->dst, size)) {
        fprintf(stderr, "rma_bench: validation: raw put/get-back gave wrong data\n");
        return PRAAS_ERR_INTERNAL;
    }
    return 0;
}

/* The passive modes: rank 0 alone, inside one lock_all epoch for flush.
 * Rank 1 waits in the fence of the small window that follows. */
static int rb_passive(rb_t *b, const char *label)
{
    uint64_t warm_end;
    double us;
    int rc;

    rc = praas_win_lock_all(0, b->win);
    if (rc)
        return rb_fail(rc, "lock_all", "", 0);
    rc = raw_label ? rb_raw_validate(b) : 0;
    if (!rc)
        rc = rb_validate(b);
    /* Exercise the path before the first timed size (first-use set-up, the
     * scheduler spreading the threads over the cores). */
    warm_end = bench_now_ns() + WARM_NS;
    while (!rc && bench_now_ns() < warm_end) {
        rc = rb_sample(b, M_FLUSH, O_PUT, 8, 1, &us);
        if (!rc)
            rc = rb_sample(b, M_FLUSH, O_GET, 8, 1, &us);
    }
    if (!rc && (mode_mask & (1u << M_FLUSH)))
        rc = rb_mode(b, M_FLUSH, label);
    if (praas_win_unlock_all(b->win) && !rc)
        rc = rb_fail(PRAAS_ERR_INTERNAL, "unlock_all", "", 0);
    if (!rc && (mode_mask & (1u << M_LOCK)))
        rc = rb_mode(b, M_LOCK, label);
    return rc;
}

static int rb_open(rb_t *b)
{
    int rc;

    b->win_bytes = b->o.max_size;
    if (flavor_create) {
        b->mem = aligned_alloc(4096, (b->win_bytes + 4095) / 4096 * 4096);
        if (!b->mem)
            return rb_fail(PRAAS_ERR_NOMEM, "window memory", "", b->win_bytes);
        memset(b->mem, 0, b->win_bytes);
        b->base = b->mem;
        rc = praas_win_create(b->mem, b->win_bytes, 1, &b->win);
    } else {
        rc = praas_win_allocate(b->win_bytes, 1, &b->base, &b->win);
        if (!rc)
            memset(b->base, 0, b->win_bytes);
    }
    if (rc)
        return rb_fail(rc, flavor_create ? "praas_win_create" : "praas_win_allocate", "",
                       b->win_bytes);
    /* The small window carries the iteration counts and the target's
     * barrier-like waits; same flavor as the data window. With created
     * windows it is created too, so that its fence is the transport's
     * barrier, in which the target polls the transport while it waits, as
     * tp_bench's target does in core_barrier() and an MPI target in
     * MPI_Barrier; an allocated one would be in shared memory, whose fence
     * only watches counters and leaves the data path to the progress
     * thread. */
    if (flavor_create) {
        b->ctl_mem = calloc(1, 64);
        if (!b->ctl_mem)
            return rb_fail(PRAAS_ERR_NOMEM, "small window memory", "", 64);
        b->ctl_base = b->ctl_mem;
        rc = praas_win_create(b->ctl_mem, 64, 1, &b->ctl);
    } else {
        rc = praas_win_allocate(64, 1, &b->ctl_base, &b->ctl);
    }
    if (rc)
        return rb_fail(rc, "small window", "", 64);
    return 0;
}

int main(int argc, char **argv)
{
    const char *rank_env = getenv("PRAAS_RANK");
    char label[128];
    int size, rc, status = 0;
    rb_t b = {0};

    argc = rb_take_flavor(argc, argv);
    if (bench_parse(argc, argv, usage, rb_extra, &b.o))
        return 2;
    if (b.o.max_size < 8) {
        fprintf(stderr, "rma_bench: --max must be at least 8 bytes\n");
        return 2;
    }
    /* As in tp_bench: rank 0 waits by polling anyway, and on two cores a
     * second spinning thread in it measures the scheduler. Chosen before
     * praas_init() reads it. */
    if (rank_env && strcmp(rank_env, "0") == 0 && strcmp(origin_progress, "manual") == 0)
        setenv("PRAAS_PROGRESS", "manual", 1);
    rc = praas_init();
    if (rc) {
        fprintf(stderr, "rma_bench: praas_init: %s: %s\n", praas_strerror(rc), praas_errmsg());
        return 1;
    }
    praas_rank(&b.rank);
    praas_size(&size);
    if (size != 2) {
        if (b.rank == 0)
            fprintf(stderr, "rma_bench: needs exactly 2 workers (praas-run -n 2), not %d\n",
                    size);
        praas_finalize();
        return 2;
    }
    b.src = aligned_alloc(4096, (b.o.max_size + 4095) / 4096 * 4096);
    b.dst = aligned_alloc(4096, (b.o.max_size + 4095) / 4096 * 4096);
    b.res = aligned_alloc(4096, (b.o.max_size + 4095) / 4096 * 4096);
    b.srcd = aligned_alloc(4096, (b.o.max_size + 4095) / 4096 * 4096);
    b.samples = malloc((size_t)(b.o.max_iters + b.o.warmup + 3) * sizeof(*b.samples));
    b.floor_samples = malloc((size_t)(b.o.max_iters + b.o.warmup + 3) * sizeof(*b.samples));
    b.raw_samples = malloc((size_t)(b.o.max_iters + b.o.warmup + 3) * sizeof(*b.samples));
    if (!b.src || !b.dst || !b.res || !b.srcd || !b.samples || !b.floor_samples ||
        !b.raw_samples) {
        fprintf(stderr, "rma_bench: no memory for %zu-byte buffers\n", b.o.max_size);
        praas_finalize();
        return 1;
    }
    /* Touch everything now so that page faults are not timed. */
    memset(b.src, 1, b.o.max_size);
    memset(b.dst, 2, b.o.max_size);
    memset(b.res, 3, b.o.max_size);
    for (size_t i = 0; i < b.o.max_size / 8; i++)
        b.srcd[i] = 1.0;
    rc = rb_open(&b);
    if (!rc && raw_label)
        rc = rb_raw_open(&b);
    if (!rc)
        rc = praas_win_fence(0, b.ctl);
    if (rc) {
        status = 1;
        goto out;
    }
    snprintf(label, sizeof(label), "%s", b.o.label ? b.o.label : "");
    if (!b.o.label)
        snprintf(label, sizeof(label), "praas-%s-%s", flavor_create ? "create" : "allocate",
                 praas_transport_name());
    if (b.rank == 0) {
        if (b.o.header)
            puts(BENCH_CSV_HEADER);
        printf("# rma_bench: %s: praas_win_%s on %s, origin progress %s\n", label,
               flavor_create ? "create" : "allocate", praas_transport_name(), origin_progress);
        fflush(stdout);
    }

    /* Passive modes: rank 1 waits in this fence of the small window. */
    rc = b.rank == 0 ? rb_passive(&b, label) : 0;
    {
        /* Tell rank 1 whether to go on (1) or stop (2). */
        int64_t go = rc ? 2 : 1;
        int rc2 = rb_send_count(&b, &go);
        if (rc2 || go != 1) {
            status = 1;
            goto out_fence;
        }
    }
    if (mode_mask & ((1u << M_FENCE) | (1u << M_PSCW))) {
        rc = praas_win_fence(0, b.win);
        if (!rc && (mode_mask & (1u << M_FENCE)))
            rc = rb_mode(&b, M_FENCE, label);
        if (!rc)
            rc = praas_win_fence(PRAAS_MODE_NOSUCCEED, b.win);
        if (!rc && (mode_mask & (1u << M_PSCW)))
            rc = rb_mode(&b, M_PSCW, label);
        if (rc) {
            rb_fail(rc, "active modes", "", 0);
            status = 1;
            goto out;
        }
    }
out_fence:
    if (praas_win_fence(PRAAS_MODE_NOSUCCEED, b.ctl))
        status = 1;
out:
    if (b.win && praas_win_free(&b.win))
        status = 1;
    if (b.ctl && praas_win_free(&b.ctl))
        status = 1;
    rb_raw_close(&b);
    if (praas_finalize()) {
        fprintf(stderr, "rma_bench: rank %d: praas_finalize: %s\n", b.rank, praas_errmsg());
        status = 1;
    }
    free(b.mem);
    free(b.ctl_mem);
    free(b.src);
    free(b.dst);
    free(b.res);
    free(b.srcd);
    free(b.samples);
    free(b.floor_samples);
    free(b.raw_samples);
    return status;
}
