/*
 * A randomized stress test of windows against a sequential model.
 *
 * Every rank draws the same pseudo-random program from a shared seed: a
 * sequence of epochs, each with a random synchronization mode (fence,
 * lock_all, per-target exclusive locks, or post/start/complete/wait with
 * everyone) and, for every origin, random puts, gets and accumulates.
 * The program is race-free by construction (within an epoch an origin puts
 * only into its own block of each target, gets only read blocks nobody
 * writes in that epoch, and accumulates are SUMs, which commute), so the
 * sequential model is exact: each rank replays everyone's operations on a
 * model of its own window and checks every get and, at the end, its memory.
 *
 *   rma_stress [SEED] [EPOCHS]      (environment: PRAAS_STRESS_SEED)
 */
#include <inttypes.h>

#include "testsuite/lib/launched.h"

#define BLOCK 16     /* int64 per origin block */
#define COUNTERS 32  /* accumulate counters after the blocks */
#define MAX_OPS 12

typedef struct rng {
    uint64_t s;
} rng_t;

static uint64_t rng_next(rng_t *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

static int rng_below(rng_t *r, int n)
{
    return (int)(rng_next(r) % (uint64_t)n);
}

enum { OP_PUT, OP_GET, OP_ACC };
enum { SYNC_FENCE, SYNC_LOCK_ALL, SYNC_LOCK, SYNC_PSCW, SYNC_COUNT };
static const char *const sync_names[] = {"fence", "lock_all", "lock", "pscw"};

typedef struct op {
    int kind, target, off, len;
    int64_t value;
} op_t;

/* The operations of origin o in epoch e (the same at every rank). */
static int draw_ops(uint64_t seed, int e, int o, int writer, op_t *ops)
{
    rng_t r = {seed * 0x9e3779b97f4a7c15ull + (uint64_t)e * 1000003u + (uint64_t)o * 7919u + 1};
    int n = 1 + rng_below(&r, MAX_OPS);
    uint64_t put_to = 0; /* targets this origin already put to in the epoch */

    for (int i = 0; i < n; i++) {
        op_t *p = &ops[i];
        p->target = rng_below(&r, lt_size);
        p->kind = rng_below(&r, 3);
        /* MPI leaves overlapping puts of one origin in one epoch undefined:
         * at most one put per target per epoch. */
        if (p->kind == OP_PUT && (!writer || (put_to >> (p->target % 64) & 1)))
            p->kind = OP_ACC;
        if (p->kind == OP_PUT)
            put_to |= (uint64_t)1 << (p->target % 64);
        p->len = 1 + rng_below(&r, BLOCK / 2);
        p->off = rng_below(&r, BLOCK - p->len + 1);
        p->value = (int64_t)(rng_next(&r) % 100000) - 50000;
        if (p->kind == OP_ACC) {
            p->off = rng_below(&r, COUNTERS - 4);
            p->len = 1 + rng_below(&r, 4);
        }
    }
    return n;
}

static int is_writer(uint64_t seed, int e, int o)
{
    return ((seed >> (e % 61)) + (uint64_t)e + (uint64_t)o) % 2 == 0;
}

/* Index of a block element and of a counter in the window. */
#define BLK(o, i) ((o) * BLOCK + (i))
#define CTR(i) (lt_size * BLOCK + (i))

/* One run of the program drawn from seed; odd seeds use a created window
 * (the transport path), even ones an allocated window. */
static void run(uint64_t seed, int epochs)
{
    int ok = 1, gets_ok = 1;
    size_t words;
    int64_t *mem, *model, *got;
    op_t ops[MAX_OPS];
    praas_win_t win;
    int counts[SYNC_COUNT] = {0};

    words = (size_t)lt_size * BLOCK + COUNTERS;
    model = calloc(words, sizeof(int64_t));
    got = calloc(BLOCK, sizeof(int64_t));
    /* Alternate the paths: odd seeds use a created window (transport). */
    int64_t *user = NULL;
    if (seed & 1) {
        user = calloc(words, sizeof(int64_t));
        ok &= lt_report(praas_win_create(user, words * 8, 8, &win), "create");
        mem = user;
    } else {
        ok &= lt_report(praas_win_allocate(words * 8, 8, &mem, &win), "allocate");
        memset(mem, 0, words * 8);
    }
    core_barrier(LT_TIMEOUT_MS);

    for (int e = 0; e < epochs && ok; e++) {
        rng_t r = {seed + (uint64_t)e * 0x2545f4914f6cdd1dull + 3};
        int mode = rng_below(&r, SYNC_COUNT), writer = is_writer(seed, e, lt_rank);
        int n = draw_ops(seed, e, lt_rank, writer, ops);
        int64_t base[BLOCK * MAX_OPS];
        counts[mode]++;

        /* Open the epoch. */
        if (mode == SYNC_FENCE) {
            ok &= lt_report(praas_win_fence(0, win), "fence");
        } else if (mode == SYNC_LOCK_ALL) {
            ok &= lt_report(praas_win_lock_all(0, win), "lock_all");
        } else if (mode == SYNC_PSCW) {
            int *all = malloc(sizeof(int) * (size_t)lt_size);
            for (int k = 0; k < lt_size; k++)
                all[k] = k;
            ok &= lt_report(praas_win_post(all, lt_size, 0, win), "post");
            ok &= lt_report(praas_win_start(all, lt_size, 0, win), "start");
            free(all);
        }
        /* The gets of this epoch read blocks of non-writers, stable here. */
        for (int i = 0; i < n && ok; i++) {
            op_t *p = &ops[i];
            int64_t vals[BLOCK];
            for (int k = 0; k < p->len; k++)
                vals[k] = p->value + k;
            if (mode == SYNC_LOCK)
                ok &= lt_report(praas_win_lock(PRAAS_LOCK_EXCLUSIVE, p->target, 0, win), "lock");
            if (p->kind == OP_PUT) {
                ok &= lt_report(praas_put(vals, (size_t)p->len, PRAAS_INT64, p->target,
                                          BLK(lt_rank, p->off), win), "put");
            } else if (p->kind == OP_ACC) {
                ok &= lt_report(praas_accumulate(vals, (size_t)p->len, PRAAS_INT64, p->target,
                                                 CTR(p->off), PRAAS_OP_SUM, win), "accumulate");
            } else {
                int src = -1;
                for (int q = 0; q < lt_size; q++)
                    if (!is_writer(seed, e, (lt_rank + q) % lt_size)) {
                        src = (lt_rank + q) % lt_size;
                        break;
                    }
                p->value = src; /* remembered for the check below */
                if (src >= 0)
                    ok &= lt_report(praas_get(base + i * BLOCK, (size_t)p->len, PRAAS_INT64,
                                              p->target, BLK(src, p->off), win), "get");
            }
            if (mode == SYNC_LOCK)
                ok &= lt_report(praas_win_unlock(p->target, win), "unlock");
        }
        /* Close it. */
        if (mode == SYNC_FENCE) {
            ok &= lt_report(praas_win_fence(0, win), "fence");
        } else if (mode == SYNC_LOCK_ALL) {
            ok &= lt_report(praas_win_unlock_all(win), "unlock_all");
        } else if (mode == SYNC_PSCW) {
            ok &= lt_report(praas_win_complete(win), "complete");
            ok &= lt_report(praas_win_wait(win), "wait");
        }
        if (mode != SYNC_FENCE && mode != SYNC_PSCW)
            ok &= lt_report(core_barrier(LT_TIMEOUT_MS), "barrier");

        /* Check this rank's gets against the model before the epoch. A
         * get read rank `target`'s block; the model holds only this rank's
         * window, so every rank replays all ranks (cheap at this size). */
        for (int i = 0; i < n; i++) {
            op_t *p = &ops[i];
            if (p->kind != OP_GET || p->value < 0)
                continue;
            /* Recompute the target's block element from the program. */
            for (int k = 0; k < p->len; k++) {
                int64_t expect = 0;
                for (int e2 = 0; e2 < e; e2++) {
                    op_t o2[MAX_OPS];
                    int src = (int)p->value;
                    int n2 = draw_ops(seed, e2, src, is_writer(seed, e2, src), o2);
                    for (int j = 0; j < n2; j++)
                        if (o2[j].kind == OP_PUT && o2[j].target == p->target &&
                            p->off + k >= o2[j].off && p->off + k < o2[j].off + o2[j].len)
                            expect = o2[j].value + (p->off + k - o2[j].off);
                }
                if (base[i * BLOCK + k] != expect) {
                    if (gets_ok)
                        fprintf(stderr,
                                "rank %d epoch %d (%s): get of block %d at rank %d element %d: "
                                "%" PRId64 ", model %" PRId64 "\n",
                                lt_rank, e, sync_names[mode], (int)p->value, p->target,
                                p->off + k, base[i * BLOCK + k], expect);
                    gets_ok = 0;
                }
            }
        }
        /* Update the model of this rank's own window with every origin's
         * puts and accumulates of this epoch. */
        for (int o = 0; o < lt_size; o++) {
            op_t o2[MAX_OPS];
            int n2 = draw_ops(seed, e, o, is_writer(seed, e, o), o2);
            for (int j = 0; j < n2; j++) {
                if (o2[j].target != lt_rank)
                    continue;
                for (int k = 0; k < o2[j].len; k++) {
                    if (o2[j].kind == OP_PUT)
                        model[BLK(o, o2[j].off + k)] = o2[j].value + k;
                    else if (o2[j].kind == OP_ACC)
                        model[CTR(o2[j].off + k)] += o2[j].value + k;
                }
            }
        }
    }
    praas_win_fence(PRAAS_MODE_NOSUCCEED, win);
    int mem_ok = memcmp(mem, model, words * 8) == 0;
    if (!mem_ok)
        for (size_t i = 0; i < words; i++)
            if (mem[i] != model[i]) {
                fprintf(stderr, "rank %d: word %zu is %" PRId64 ", model %" PRId64 "\n", lt_rank,
                        i, mem[i], model[i]);
                break;
            }
    lt_check(ok, "seed %#" PRIx64 ": %d epochs (%d fence, %d lock_all, %d lock, %d pscw) on a "
                 "window %s ran without error",
             seed, epochs, counts[0], counts[1], counts[2], counts[3],
             user ? "created over user memory" : "allocated by praas");
    lt_check(gets_ok, "every get matched the sequential model");
    lt_check(mem_ok, "every window matches the sequential model at the end");
    lt_report(praas_win_free(&win), "free");
    free(user);
    free(model);
    free(got);
}

int main(int argc, char **argv)
{
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 0;
    int epochs = argc > 2 ? atoi(argv[2]) : 60;
    const char *env = getenv("PRAAS_STRESS_SEED");

    lt_init();
    if (!seed && env)
        seed = strtoull(env, NULL, 0);
    if (seed) {
        run(seed, epochs);
    } else {
        run(0x5eed1234, epochs);
        run(0x5eed1235, epochs);
    }
    return lt_finish();
}
