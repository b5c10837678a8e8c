/*
 * Raw transport latency and bandwidth: put and get through the tp_* ops
 * table, below every layer that adds semantics (windows, epochs), between
 * two workers launched by praas-run.
 *
 *   praas-run -n 2 bench/tp_bench [--label NAME] [--min 8] [--max 4M] ...
 *
 * Rank 0 is the origin and does all the work; rank 1 is the target and
 * only waits: in core_barrier() by default, which polls the transport
 * beside its progress thread, or (--target-wait sleep) asleep, never
 * calling the library until the origin writes a flag into its memory, so
 * that its progress thread alone serves every operation (DESIGN.md
 * decision 2).
 *
 * For each size, rank 0 prints one row per operation (bench.h's schema):
 * - put: latency is one tp_put() followed by tp_flush() to remote
 *   completion; bandwidth is a window of non-blocking puts followed by one
 *   flush, bytes over time.
 * - get: latency is one tp_get() followed by tp_comp_wait(); bandwidth is a
 *   window of gets followed by one tp_comp_wait().
 * Each figure is the median over iterations whose count adapts to the
 * operation's speed (bench_iters_for()), so a millisecond-slow transport
 * takes as long as a fast one.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench.h"
#include "core/context.h"
#include "praas.h"
#include "transport/transport.h"

#define KEY_MAX 1024
#define PAGE 4096
#define FLAG_OFF 0    /* the target's stop flag, in its first page */
#define DATA_OFF PAGE /* the data area, max_size bytes */
#define TARGET_NAP_NS 1000000L
#define WARM_NS 300000000u /* untimed put/get before the first size */

enum { FLAG_RUN = 0, FLAG_DONE = 1, FLAG_FAILED = 2 };

static const char usage[] =
    "Usage: praas-run -n 2 tp_bench [OPTIONS]\n"
    "Raw transport put/get latency and bandwidth between rank 0 and rank 1; CSV on\n"
    "rank 0's stdout.\n"
    "  --label NAME               the config column (default: the transport's name)\n"
    "  --timeout-ms MS            limit on any one flush or wait (default 60000)\n"
    "  --origin-progress thread|manual\n"
    "                             rank 0's progress engine (default manual: its\n"
    "                             waiting thread polls; the target always has its\n"
    "                             progress thread)\n"
    "  --target-wait barrier|sleep\n"
    "                             rank 1's main thread waits in core_barrier()\n"
    "                             (default; it polls the transport as well) or\n"
    "                             sleeps, so that its progress thread alone serves\n";

typedef struct tb {
    bench_opts_t o;
    int timeout_ms;
    tp_ctx_t *tp;
    tp_rkey_t *rkey; /* the target's region */
    unsigned char *region;
    unsigned char *src, *dst; /* the origin's local buffers, max_size each */
    size_t region_len;
    double *samples;
} tb_t;

static int timeout_ms = 60000;
static const char *origin_progress = "manual";
static int target_sleep;

static int tb_extra(const char *name, const char *val)
{
    if (!val)
        return -1;
    if (strcmp(name, "--timeout-ms") == 0) {
        timeout_ms = atoi(val);
        return timeout_ms > 0 ? 2 : -1;
    }
    if (strcmp(name, "--target-wait") == 0 &&
        (strcmp(val, "sleep") == 0 || strcmp(val, "barrier") == 0)) {
        target_sleep = strcmp(val, "sleep") == 0;
        return 2;
    }
    if (strcmp(name, "--origin-progress") == 0 &&
        (strcmp(val, "thread") == 0 || strcmp(val, "manual") == 0)) {
        origin_progress = val;
        return 2;
    }
    return -1;
}

/* Report a failed call with the library's detailed message. */
static int tb_fail(int rc, const char *what, size_t size)
{
    fprintf(stderr, "tp_bench: %s (%zu bytes): %s: %s\n", what, size, praas_strerror(rc),
            praas_errmsg());
    return rc;
}

/* The data-area offset of the i-th message of a window: consecutive
 * messages go to consecutive places, wrapping inside the area. */
static uint64_t tb_slot(const tb_t *b, size_t size, int i)
{
    size_t off = (size_t)i * size % b->o.max_size;
    return off + size > b->o.max_size ? 0 : off;
}

/* Issue a put or get, riding out a full queue the backend gave up on. */
static int tb_issue(tb_t *b, int is_put, size_t size, uint64_t off, tp_comp_t *comp)
{
    for (int tries = 0;; tries++) {
        int rc = is_put ? tp_put(b->tp, 1, b->src + off, size, b->rkey, DATA_OFF + off, comp)
                        : tp_get(b->tp, 1, b->dst + off, size, b->rkey, DATA_OFF + off, comp);
        if (rc != PRAAS_ERR_AGAIN || tries == 1000)
            return rc;
        tp_progress(b->tp);
    }
}

/* One timed sample: window operations of size bytes, then completion (a
 * flush for puts, the local completion of gets). *us_p gets the time. */
static int tb_sample(tb_t *b, int is_put, size_t size, int window, double *us_p)
{
    uint64_t t0 = bench_now_ns();
    tp_comp_t comp;
    int rc = 0;

    tp_comp_init(&comp);
    for (int i = 0; i < window && !rc; i++)
        rc = tb_issue(b, is_put, size, tb_slot(b, size, i), &comp);
    if (!rc && is_put)
        rc = tp_flush(b->tp, 1, b->timeout_ms);
    if (rc) {
        tb_fail(rc, is_put ? "put and flush" : "get", size);
        /* comp lives on this stack: let what was issued finish first. */
        tp_comp_wait(b->tp, &comp, b->timeout_ms);
        return rc;
    }
    /* After a flush this finds nothing pending; it is there for the
     * status of each put. */
    rc = tp_comp_wait(b->tp, &comp, b->timeout_ms);
    if (rc)
        return tb_fail(rc, is_put ? "put completion" : "get completion", size);
    *us_p = (double)(bench_now_ns() - t0) / 1000.0;
    return 0;
}

/* Warm up (the warm-up is also the pilot that sizes the run), then take
 * the samples and summarize them. *n_p gets the number of samples. */
static int tb_measure(tb_t *b, int is_put, size_t size, int window, bench_stats_t *st,
                      long *n_p)
{
    long warm = b->o.warmup > 3 ? b->o.warmup : 3, n;
    int rc;

    /* A warm-up of a window counts as much as `window` single operations. */
    if (window > 1)
        warm = warm / window > 3 ? warm / window : 3;
    for (long i = 0; i < warm; i++) {
        rc = tb_sample(b, is_put, size, window, &b->samples[i]);
        if (rc)
            return rc;
    }
    bench_stats(b->samples, warm, st);
    n = bench_iters_for(&b->o, st->median * 1000.0);
    for (long i = 0; i < n; i++) {
        rc = tb_sample(b, is_put, size, window, &b->samples[i]);
        if (rc)
            return rc;
    }
    bench_stats(b->samples, n, st);
    *n_p = n;
    return 0;
}

static unsigned char tb_pattern(size_t i, size_t salt)
{
    return (unsigned char)(i * 131u + salt * 29u + 7u);
}

/* Before timing anything: a put and a get of a few sizes must move the
 * right bytes, or the figures would be meaningless. */
static int tb_validate(tb_t *b)
{
    size_t sizes[] = {b->o.min_size, 4096, b->o.max_size};
    double us;
    int rc;

    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        size_t size = sizes[k] < b->o.max_size ? sizes[k] : b->o.max_size;
        for (size_t i = 0; i < size; i++)
            b->src[i] = tb_pattern(i, size);
        memset(b->dst, 0, size);
        rc = tb_sample(b, 1, size, 1, &us);
        if (!rc)
            rc = tb_sample(b, 0, size, 1, &us);
        if (rc)
            return rc;
        for (size_t i = 0; i < size; i++)
            if (b->dst[i] != tb_pattern(i, size)) {
                fprintf(stderr,
                        "tp_bench: put then get of %zu bytes: byte %zu reads %u, expected %u\n",
                        size, i, b->dst[i], tb_pattern(i, size));
                return PRAAS_ERR_INTERNAL;
            }
    }
    return 0;
}

static int tb_origin(tb_t *b, const char *label)
{
    uint64_t warm_end;
    double us;
    int rc = tb_validate(b);

    if (rc)
        return rc;
    /* Exercise the connection before the first timed size: the first
     * operations may set up protocol state, and until the scheduler has
     * spread the spinning threads over the cores every round trip pays a
     * context switch. */
    warm_end = bench_now_ns() + WARM_NS;
    while (!rc && bench_now_ns() < warm_end) {
        rc = tb_sample(b, 1, b->o.min_size, 1, &us);
        if (!rc)
            rc = tb_sample(b, 0, b->o.min_size, 1, &us);
    }
    if (rc)
        return rc;
    for (size_t size = b->o.min_size; size; size = bench_next_size(&b->o, size)) {
        for (int is_put = 1; is_put >= 0; is_put--) {
            int window = bench_window(&b->o, size);
            bench_stats_t lat, bw;
            long n, nbw;

            rc = tb_measure(b, is_put, size, 1, &lat, &n);
            if (!rc)
                rc = tb_measure(b, is_put, size, window, &bw, &nbw);
            if (rc)
                return rc;
            bench_row(label, is_put ? "put" : "get", size, n, &lat,
                      bench_mbps((double)size * window, bw.median));
        }
    }
    return 0;
}

/* Tell the target to stop waiting: a put to its flag word. */
static int tb_release(tb_t *b, uint64_t value)
{
    tp_comp_t comp;
    int rc;

    tp_comp_init(&comp);
    rc = tp_put(b->tp, 1, &value, sizeof(value), b->rkey, FLAG_OFF, &comp);
    if (!rc)
        rc = tp_flush(b->tp, 1, b->timeout_ms);
    if (!rc)
        rc = tp_comp_wait(b->tp, &comp, b->timeout_ms);
    return rc ? tb_fail(rc, "releasing the target", sizeof(value)) : 0;
}

/* The target: wait until the origin is done, in core_barrier() (the
 * default: that polls the transport from this thread too, beside the
 * progress thread) or asleep, never calling the library, until the origin
 * writes the flag (--target-wait sleep: the progress thread alone serves
 * the origin, as DESIGN.md decision 2 promises). Returns 0 when the origin
 * finished, 1 when it reported a failure or the barrier failed. */
static int tb_target(tb_t *b)
{
    volatile uint64_t *flag = (volatile uint64_t *)(b->region + FLAG_OFF);
    struct timespec nap = {0, TARGET_NAP_NS};
    int rc;

    if (target_sleep) {
        while (*flag == FLAG_RUN)
            nanosleep(&nap, NULL);
    } else {
        /* Paired with the origin's final barrier; the launcher's
         * --timeout bounds it. */
        rc = core_barrier(-1);
        if (rc)
            return tb_fail(rc, "waiting for the origin", 0), 1;
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return *flag == FLAG_DONE ? 0 : 1;
}

/* Exchange the packed keys of both regions; rank 0 keeps rank 1's. */
static int tb_exchange_keys(tb_t *b, tp_mr_t *mr, int rank)
{
    unsigned char mine[KEY_MAX], all[2 * KEY_MAX];
    size_t len = KEY_MAX - 4;
    uint32_t klen;
    int rc;

    rc = tp_mr_pack(b->tp, mr, mine + 4, &len);
    if (rc)
        return tb_fail(rc, "packing the remote key", b->region_len);
    klen = (uint32_t)len;
    memcpy(mine, &klen, 4);
    rc = core_exchange(mine, KEY_MAX, all, b->timeout_ms);
    if (rc)
        return tb_fail(rc, "exchanging remote keys", KEY_MAX);
    if (rank != 0)
        return 0;
    memcpy(&klen, all + KEY_MAX, 4);
    rc = tp_rkey_unpack(b->tp, 1, all + KEY_MAX + 4, klen, &b->rkey);
    return rc ? tb_fail(rc, "unpacking the target's key", klen) : 0;
}

int main(int argc, char **argv)
{
    const char *rank_env = getenv("PRAAS_RANK");
    char label[128];
    int rank, size, rc, status = 1;
    tb_t b = {0};
    tp_mr_t *mr;

    if (bench_parse(argc, argv, usage, tb_extra, &b.o))
        return 2;
    b.timeout_ms = timeout_ms;
    /* By default rank 0 runs without its progress thread: it waits by
     * polling anyway, and on two cores a second spinning thread in the
     * origin (beside the target's progress thread) costs more than it
     * serves (TRANSPORTS.md, pitfall 6), so the figures would measure the
     * scheduler. --origin-progress thread measures the library's default.
     * The choice must be made before praas_init() reads it. */
    if (rank_env && strcmp(rank_env, "0") == 0 && strcmp(origin_progress, "manual") == 0)
        setenv("PRAAS_PROGRESS", "manual", 1);

    rc = praas_init();
    if (rc) {
        fprintf(stderr, "tp_bench: praas_init: %s: %s\n", praas_strerror(rc), praas_errmsg());
        return 1;
    }
    praas_rank(&rank);
    praas_size(&size);
    if (size != 2) {
        if (rank == 0)
            fprintf(stderr, "tp_bench: needs exactly 2 workers (praas-run -n 2), not %d\n",
                    size);
        praas_finalize();
        return 2;
    }
    b.tp = core_tp();
    b.region_len = DATA_OFF + b.o.max_size;
    b.region = aligned_alloc(PAGE, (b.region_len + PAGE - 1) / PAGE * PAGE);
    b.src = aligned_alloc(PAGE, (b.o.max_size + PAGE - 1) / PAGE * PAGE);
    b.dst = aligned_alloc(PAGE, (b.o.max_size + PAGE - 1) / PAGE * PAGE);
    b.samples = malloc((size_t)(b.o.max_iters + b.o.warmup + 3) * sizeof(*b.samples));
    if (!b.region || !b.src || !b.dst || !b.samples) {
        fprintf(stderr, "tp_bench: no memory for %zu-byte buffers\n", b.o.max_size);
        goto out_init;
    }
    /* Touch everything now so that page faults are not timed. */
    memset(b.region, 0, b.region_len);
    memset(b.src, 1, b.o.max_size);
    memset(b.dst, 2, b.o.max_size);

    rc = tp_mr_reg(b.tp, b.region, b.region_len, &mr);
    if (rc) {
        tb_fail(rc, "registering the region", b.region_len);
        goto out_init;
    }
    rc = tb_exchange_keys(&b, mr, rank);
    if (rc)
        goto out_mr;

    if (rank == 0) {
        snprintf(label, sizeof(label), "%s", b.o.label ? b.o.label : praas_transport_name());
        if (b.o.header)
            puts(BENCH_CSV_HEADER);
        printf("# tp_bench: %s is %s, origin progress %s\n", label, praas_transport_name(),
               origin_progress);
        fflush(stdout);
        rc = tb_origin(&b, label);
        status = rc ? 1 : 0;
        /* Release the target even after a failure, so that it does not
         * wait for the launcher's timeout. */
        if (tb_release(&b, rc ? FLAG_FAILED : FLAG_DONE))
            status = 1;
        tp_rkey_release(b.tp, b.rkey);
    } else {
        status = tb_target(&b);
    }
    /* The target that waited in core_barrier() has had its barrier. */
    rc = rank == 0 || target_sleep ? core_barrier(b.timeout_ms) : 0;
    if (rc) {
        tb_fail(rc, "final barrier", 0);
        status = 1;
    }
out_mr:
    tp_mr_dereg(b.tp, mr);
out_init:
    rc = praas_finalize();
    if (rc) {
        fprintf(stderr, "tp_bench: rank %d: praas_finalize: %s\n", rank, praas_errmsg());
        status = 1;
    }
    free(b.samples);
    free(b.region);
    free(b.src);
    free(b.dst);
    return status;
}
