/*
 * Windows with MPI-3 semantics, checked by the values in target memory:
 * every communication call in every synchronization mode, every valid
 * (type, op) pair of the accumulate family, atomicity under contention,
 * request-based calls, attributes, and every misuse error. Each part runs
 * on a window allocated by praas (shared memory on one node) and on a
 * window created over user memory (the transport path).
 */
#include <inttypes.h>
#include <stdint.h>

#include "rma/op.h"
#include "testsuite/lib/launched.h"

#define N 64 /* int64 elements per rank in the test windows */

typedef struct kind {
    const char *name;
    int create; /* praas_win_create over malloc'd memory, else allocate */
} kind_t;

static const kind_t kinds[] = {{"allocated", 0}, {"created", 1}};

typedef struct twin {
    praas_win_t win;
    void *base;
    void *mem; /* created windows: the user memory */
} twin_t;

static int tw_open(const kind_t *k, size_t bytes, int disp_unit, twin_t *tw)
{
    memset(tw, 0, sizeof(*tw));
    if (k->create) {
        tw->mem = calloc(1, bytes ? bytes : 1);
        tw->base = tw->mem;
        return praas_win_create(tw->mem, bytes, disp_unit, &tw->win);
    }
    return praas_win_allocate(bytes, disp_unit, &tw->base, &tw->win);
}

static int tw_close(twin_t *tw)
{
    int rc = praas_win_free(&tw->win);

    free(tw->mem);
    return rc;
}

static int64_t val(int r, int i)
{
    return (int64_t)r * 1000003 + i * 7 - 50;
}

/* ---- fence: put, get, accumulate around the ring ---- */

static void test_fence(const kind_t *k)
{
    int right = (lt_rank + 1) % lt_size, left = (lt_rank + lt_size - 1) % lt_size, ok = 1;
    int64_t src[N], got[N], *mem;
    twin_t tw;

    ok &= lt_report(tw_open(k, 3 * N * sizeof(int64_t), sizeof(int64_t), &tw), "open");
    mem = tw.base;
    for (int i = 0; i < N; i++) {
        src[i] = val(lt_rank, i);
        mem[N + i] = val(lt_rank + 50, i);
        mem[2 * N + i] = 0;
    }
    ok &= lt_report(praas_win_fence(PRAAS_MODE_NOPRECEDE, tw.win), "fence");
    ok &= lt_report(praas_put(src, N, PRAAS_INT64, right, 0, tw.win), "put");
    ok &= lt_report(praas_get(got, N, PRAAS_INT64, right, N, tw.win), "get");
    for (int rep = 0; rep < 10; rep++)
        for (int r = 0; r < lt_size; r++)
            ok &= lt_report(praas_accumulate(src, N, PRAAS_INT64, r, 2 * N, PRAAS_OP_SUM, tw.win),
                            "accumulate");
    ok &= lt_report(praas_win_fence(0, tw.win), "fence");
    for (int i = 0; i < N; i++) {
        int64_t sum = 0;
        for (int r = 0; r < lt_size; r++)
            sum += 10 * val(r, i);
        ok &= mem[i] == val(left, i);
        ok &= got[i] == val(right + 50, i);
        ok &= mem[2 * N + i] == sum;
    }
    ok &= lt_report(praas_win_fence(PRAAS_MODE_NOSUCCEED, tw.win), "fence");
    ok &= lt_report(tw_close(&tw), "free");
    lt_check(ok, "%s window, fence: put, get and accumulate from every rank", k->name);
}

/* ---- every valid (type, op) pair, checked against rma_op_apply ---- */

static void fill(praas_type_t t, unsigned char *p, size_t count, int seed)
{
    size_t ts = praas_type_size(t);

    memset(p, 0, ts * count);
    for (size_t i = 0; i < count; i++) {
        unsigned char *e = p + i * ts;
        long v = (long)((seed * 31 + (int)i * 17) % 97) - 40;
        switch (t) {
        case PRAAS_FLOAT: *(float *)e = (float)v / 4; break;
        case PRAAS_DOUBLE: *(double *)e = (double)v / 8; break;
        case PRAAS_LONG_DOUBLE: *(long double *)e = (long double)v / 2; break;
        case PRAAS_FLOAT_INT: *(float *)e = (float)(v % 5); memcpy(e + 4, &(int){seed + (int)i}, 4); break;
        case PRAAS_DOUBLE_INT: *(double *)e = (double)(v % 5); memcpy(e + 8, &(int){seed + (int)i}, 4); break;
        case PRAAS_LONG_INT: *(long *)e = v % 5; memcpy(e + 8, &(int){seed + (int)i}, 4); break;
        case PRAAS_2INT: *(int *)e = (int)(v % 5); memcpy(e + 4, &(int){seed + (int)i}, 4); break;
        case PRAAS_SHORT_INT: *(short *)e = (short)(v % 5); memcpy(e + 4, &(int){seed + (int)i}, 4); break;
        case PRAAS_LONG_DOUBLE_INT: *(long double *)e = (long double)(v % 5); memcpy(e + 16, &(int){seed + (int)i}, 4); break;
        default:
            for (size_t b = 0; b < ts; b++)
                e[b] = (unsigned char)(v + (long)b * 3);
        }
    }
}

/* Compare element values (not padding bytes). */
static int same(praas_type_t t, const unsigned char *a, const unsigned char *b, size_t count)
{
    size_t ts = praas_type_size(t);

    for (size_t i = 0; i < count; i++) {
        const unsigned char *x = a + i * ts, *y = b + i * ts;
        switch (t) {
        case PRAAS_LONG_DOUBLE:
            if (*(const long double *)x != *(const long double *)y)
                return 0;
            break;
        case PRAAS_LONG_DOUBLE_INT:
            if (*(const long double *)x != *(const long double *)y || memcmp(x + 16, y + 16, 4))
                return 0;
            break;
        case PRAAS_SHORT_INT:
            if (memcmp(x, y, 2) || memcmp(x + 4, y + 4, 4))
                return 0;
            break;
        case PRAAS_DOUBLE_INT:
        case PRAAS_LONG_INT:
            if (memcmp(x, y, 12))
                return 0;
            break;
        default:
            if (memcmp(x, y, ts))
                return 0;
        }
    }
    return 1;
}

static void test_all_ops(const kind_t *k)
{
    enum { COUNT = 3, SLOT = 3 * 32 };
    int right = (lt_rank + 1) % lt_size, left = (lt_rank + lt_size - 1) % lt_size;
    unsigned char origin[SLOT], init[SLOT], expect[SLOT], before[SLOT];
    unsigned char *results = calloc(PRAAS_TYPE_COUNT * PRAAS_OP_COUNT, SLOT);
    int ok = 1, pairs = 0;
    twin_t tw;

    ok &= lt_report(tw_open(k, PRAAS_TYPE_COUNT * PRAAS_OP_COUNT * SLOT, 1, &tw), "open");
    for (int t = 0; t < PRAAS_TYPE_COUNT; t++)
        for (int o = 0; o < PRAAS_OP_COUNT; o++)
            fill((praas_type_t)t, (unsigned char *)tw.base + (size_t)(t * PRAAS_OP_COUNT + o) * SLOT,
                 COUNT, lt_rank * 7 + o);
    praas_win_fence(0, tw.win);
    for (int t = 0; t < PRAAS_TYPE_COUNT; t++) {
        for (int o = 0; o < PRAAS_OP_COUNT; o++) {
            size_t disp = (size_t)(t * PRAAS_OP_COUNT + o) * SLOT;
            int rc;
            if (!praas_op_valid((praas_op_t)o, (praas_type_t)t))
                continue;
            pairs++;
            fill((praas_type_t)t, origin, COUNT, 100 + lt_rank + o);
            fill((praas_type_t)t, init, COUNT, right * 7 + o);
            memcpy(expect, init, SLOT);
            rma_op_apply((praas_op_t)o, (praas_type_t)t, origin, expect, COUNT);
            /* Even types get_accumulate (checking the old values), odd ones
             * accumulate. */
            if (t % 2)
                rc = praas_accumulate(origin, COUNT, (praas_type_t)t, right, disp,
                                      (praas_op_t)o, tw.win);
            else
                rc = praas_get_accumulate(origin, results + disp, COUNT, (praas_type_t)t, right,
                                          disp, (praas_op_t)o, tw.win);
            if (!lt_report(rc, praas_op_name((praas_op_t)o)))
                ok = 0;
        }
    }
    praas_win_fence(0, tw.win);
    /* Each rank checks what its left neighbour did to it. */
    for (int t = 0; t < PRAAS_TYPE_COUNT; t++) {
        for (int o = 0; o < PRAAS_OP_COUNT; o++) {
            size_t disp = (size_t)(t * PRAAS_OP_COUNT + o) * SLOT;
            if (!praas_op_valid((praas_op_t)o, (praas_type_t)t))
                continue;
            fill((praas_type_t)t, origin, COUNT, 100 + left + o);
            fill((praas_type_t)t, before, COUNT, lt_rank * 7 + o);
            memcpy(expect, before, SLOT);
            rma_op_apply((praas_op_t)o, (praas_type_t)t, origin, expect, COUNT);
            if (!same((praas_type_t)t, (unsigned char *)tw.base + disp, expect, COUNT)) {
                fprintf(stderr, "rank %d: %s on %s gave the wrong result\n", lt_rank,
                        praas_op_name((praas_op_t)o), praas_type_name((praas_type_t)t));
                ok = 0;
            }
            /* get_accumulate returned the right neighbour's values before. */
            fill((praas_type_t)t, init, COUNT, ((lt_rank + 1) % lt_size) * 7 + o);
            if (t % 2 == 0 && !same((praas_type_t)t, results + disp, init, COUNT)) {
                fprintf(stderr, "rank %d: get_accumulate %s on %s fetched the wrong values\n",
                        lt_rank, praas_op_name((praas_op_t)o), praas_type_name((praas_type_t)t));
                ok = 0;
            }
        }
    }
    praas_win_fence(PRAAS_MODE_NOSUCCEED, tw.win);
    ok &= lt_report(tw_close(&tw), "free");
    free(results);
    lt_check(ok, "%s window: accumulate and get_accumulate for all %d valid (type, op) pairs",
             k->name, pairs);
}

/* ---- passive target ---- */

static void test_counter(const kind_t *k)
{
    enum { REPS = 100 };
    int64_t one = 1, old, *seen = calloc(REPS, sizeof(*seen)), *mem;
    int ok = 1, monotonic = 1;
    twin_t tw;

    ok &= lt_report(tw_open(k, 4 * sizeof(int64_t), sizeof(int64_t), &tw), "open");
    mem = tw.base;
    mem[0] = mem[1] = mem[2] = 0;
    core_barrier(LT_TIMEOUT_MS);
    ok &= lt_report(praas_win_lock_all(0, tw.win), "lock_all");
    for (int i = 0; i < REPS && ok; i++) {
        ok &= lt_report(praas_fetch_and_op(&one, &old, PRAAS_INT64, 0, 0, PRAAS_OP_SUM, tw.win),
                        "fetch_and_op");
        ok &= lt_report(praas_win_flush(0, tw.win), "flush");
        seen[i] = old;
        if (i && old <= seen[i - 1])
            monotonic = 0;
    }
    ok &= lt_report(praas_win_unlock_all(tw.win), "unlock_all");
    core_barrier(LT_TIMEOUT_MS);
    if (lt_rank == 0)
        ok &= mem[0] == (int64_t)REPS * lt_size;
    lt_check(ok && monotonic, "%s window: fetch_and_op counter from all ranks, values increase",
             k->name);

    /* Mutual exclusion: read-modify-write of a plain counter under an
     * exclusive lock; no increment is lost. */
    ok = 1;
    for (int i = 0; i < 20 && ok; i++) {
        int64_t v;
        ok &= lt_report(praas_win_lock(PRAAS_LOCK_EXCLUSIVE, 0, 0, tw.win), "lock");
        ok &= lt_report(praas_get(&v, 1, PRAAS_INT64, 0, 1, tw.win), "get");
        ok &= lt_report(praas_win_flush(0, tw.win), "flush");
        v++;
        ok &= lt_report(praas_put(&v, 1, PRAAS_INT64, 0, 1, tw.win), "put");
        ok &= lt_report(praas_win_unlock(0, tw.win), "unlock");
    }
    core_barrier(LT_TIMEOUT_MS);
    if (lt_rank == 0)
        ok &= mem[1] == 20 * (int64_t)lt_size;
    lt_check(ok, "%s window: exclusive lock protects get-increment-put (no lost update)",
             k->name);

    /* A spin lock built on compare_and_swap, and shared locks beside it. */
    ok = 1;
    int64_t mine = lt_rank + 1, zero = 0, prev;
    int winners = 0;
    ok &= lt_report(praas_win_lock(PRAAS_LOCK_SHARED, lt_size - 1, 0, tw.win), "lock shared");
    ok &= lt_report(praas_compare_and_swap(&mine, &zero, &prev, PRAAS_INT64, lt_size - 1, 2,
                                           tw.win), "compare_and_swap");
    ok &= lt_report(praas_win_unlock(lt_size - 1, tw.win), "unlock");
    {
        unsigned char w = prev == 0, *all = malloc((size_t)lt_size);
        core_exchange(&w, 1, all, LT_TIMEOUT_MS);
        for (int r = 0; r < lt_size; r++)
            winners += all[r];
        free(all);
    }
    if (lt_rank == lt_size - 1)
        ok &= mem[2] >= 1 && mem[2] <= lt_size;
    lt_check(ok && winners == 1, "%s window: compare_and_swap under shared locks, one winner",
             k->name);
    ok = lt_report(tw_close(&tw), "free");
    lt_check(ok, "%s window: free after passive epochs", k->name);
    free(seen);
}

/* ---- post / start / complete / wait ---- */

static void test_pscw(const kind_t *k)
{
    int right = (lt_rank + 1) % lt_size, left = (lt_rank + lt_size - 1) % lt_size, ok = 1;
    int64_t src[N], *mem;
    twin_t tw;

    ok &= lt_report(tw_open(k, N * sizeof(int64_t), sizeof(int64_t), &tw), "open");
    mem = tw.base;
    for (int round = 0; round < 3 && ok; round++) {
        for (int i = 0; i < N; i++)
            src[i] = val(lt_rank, i + round);
        ok &= lt_report(praas_win_post(&left, 1, 0, tw.win), "post");
        ok &= lt_report(praas_win_start(&right, 1, 0, tw.win), "start");
        ok &= lt_report(praas_put(src, N, PRAAS_INT64, right, 0, tw.win), "put");
        ok &= lt_report(praas_win_complete(tw.win), "complete");
        ok &= lt_report(praas_win_wait(tw.win), "wait");
        for (int i = 0; i < N; i++)
            ok &= mem[i] == val(left, i + round);
    }
    /* test instead of wait. */
    int flag = 0;
    ok &= lt_report(praas_win_post(&left, 1, 0, tw.win), "post");
    ok &= lt_report(praas_win_start(&right, 1, 0, tw.win), "start");
    ok &= lt_report(praas_accumulate(src, N, PRAAS_INT64, right, 0, PRAAS_OP_SUM, tw.win), "acc");
    ok &= lt_report(praas_win_complete(tw.win), "complete");
    for (uint64_t deadline = core_deadline(LT_TIMEOUT_MS); !flag && ok && !core_expired(deadline);)
        ok &= lt_report(praas_win_test(tw.win, &flag), "test");
    for (int i = 0; i < N; i++)
        ok &= mem[i] == 2 * val(left, i + 2);
    ok &= flag;
    ok &= lt_report(tw_close(&tw), "free");
    lt_check(ok, "%s window: post/start/complete/wait (and test) around the ring", k->name);
}

/* ---- request-based calls ---- */

static void test_requests(const kind_t *k)
{
    int right = (lt_rank + 1) % lt_size, ok = 1, flag = 0;
    int64_t src[N], got[N], res[N], *mem;
    praas_request_t req[4];
    twin_t tw;

    ok &= lt_report(tw_open(k, 2 * N * sizeof(int64_t), sizeof(int64_t), &tw), "open");
    mem = tw.base;
    for (int i = 0; i < N; i++) {
        src[i] = val(lt_rank, i);
        mem[i] = val(lt_rank + 7, i);
        mem[N + i] = 1;
    }
    core_barrier(LT_TIMEOUT_MS);
    ok &= lt_report(praas_win_lock_all(0, tw.win), "lock_all");
    ok &= lt_report(praas_rget(got, N, PRAAS_INT64, right, 0, tw.win, &req[0]), "rget");
    ok &= lt_report(praas_request_wait(&req[0]), "wait rget");
    ok &= req[0] == PRAAS_REQUEST_NULL;
    for (int i = 0; i < N; i++)
        ok &= got[i] == val(right + 7, i);
    ok &= lt_report(praas_rput(src, N, PRAAS_INT64, right, 0, tw.win, &req[1]), "rput");
    ok &= lt_report(praas_raccumulate(src, N, PRAAS_INT64, right, N, PRAAS_OP_SUM, tw.win,
                                      &req[2]), "raccumulate");
    ok &= lt_report(praas_request_wait(&req[1]), "wait rput");
    ok &= lt_report(praas_request_wait(&req[2]), "wait raccumulate");
    ok &= lt_report(praas_win_flush(right, tw.win), "flush");
    ok &= lt_report(praas_rget_accumulate(NULL, res, N, PRAAS_INT64, right, N, PRAAS_OP_NO_OP,
                                          tw.win, &req[3]), "rget_accumulate");
    for (uint64_t deadline = core_deadline(LT_TIMEOUT_MS); !flag && ok && !core_expired(deadline);)
        ok &= lt_report(praas_request_test(&req[3], &flag), "test");
    for (int i = 0; i < N; i++)
        ok &= res[i] == 1 + val(lt_rank, i);
    ok &= lt_report(praas_win_unlock_all(tw.win), "unlock_all");
    core_barrier(LT_TIMEOUT_MS);
    ok &= mem[0] == val((lt_rank + lt_size - 1) % lt_size, 0);
    ok &= lt_report(tw_close(&tw), "free");
    lt_check(ok && flag, "%s window: rput, rget, raccumulate, rget_accumulate with wait and test",
             k->name);
}

/* ---- misuse: specific errors, nothing changed ---- */

static void test_misuse(const kind_t *k)
{
    int64_t v = 42, r = 0, *mem;
    int ok = 1, rc, flag;
    size_t sz = 0;
    int du = 0;
    praas_win_flavor_t fl = 0;
    void *b = NULL;
    twin_t tw;

    ok &= lt_report(tw_open(k, 8 * sizeof(int64_t), sizeof(int64_t), &tw), "open");
    mem = tw.base;
    for (int i = 0; i < 8; i++)
        mem[i] = 5;
    ok &= praas_win_size(tw.win, &sz) == 0 && sz == 8 * sizeof(int64_t);
    ok &= praas_win_disp_unit(tw.win, &du) == 0 && du == (int)sizeof(int64_t);
    ok &= praas_win_base(tw.win, &b) == 0 && b == tw.base;
    ok &= praas_win_flavor(tw.win, &fl) == 0 &&
          fl == (k->create ? PRAAS_WIN_FLAVOR_CREATE : PRAAS_WIN_FLAVOR_ALLOCATE);
    lt_check(ok, "%s window: base, size, disp_unit and flavor attributes", k->name);

    core_barrier(LT_TIMEOUT_MS);
    rc = praas_put(&v, 1, PRAAS_INT64, 0, 0, tw.win);
    lt_check(rc == PRAAS_ERR_STATE && strstr(praas_errmsg(), "outside an access epoch"),
             "%s window: put outside an epoch is PRAAS_ERR_STATE (%s)", k->name,
             praas_errmsg());
    praas_win_fence(0, tw.win);
    rc = praas_put(&v, 1, PRAAS_INT64, lt_size, 0, tw.win);
    lt_check(rc == PRAAS_ERR_RANGE && strstr(praas_errmsg(), "ranks 0 to"),
             "%s window: a target rank outside the group is PRAAS_ERR_RANGE (%s)", k->name,
             praas_errmsg());
    rc = praas_put(&v, 2, PRAAS_INT64, 0, 7, tw.win);
    lt_check(rc == PRAAS_ERR_RANGE && strstr(praas_errmsg(), "past the end"),
             "%s window: displacement + count past the end is PRAAS_ERR_RANGE (%s)", k->name,
             praas_errmsg());
    rc = praas_accumulate(&v, 1, PRAAS_DOUBLE, 0, 0, PRAAS_OP_BAND, tw.win);
    lt_check(rc == PRAAS_ERR_INVALID,
             "%s window: an op that does not apply to the type is PRAAS_ERR_INVALID (%s)",
             k->name, praas_errmsg());
    rc = praas_fetch_and_op(&v, &r, PRAAS_INT64, 0, 0, PRAAS_OP_MAXLOC, tw.win);
    lt_check(rc == PRAAS_ERR_INVALID, "%s window: MAXLOC on an integer is PRAAS_ERR_INVALID",
             k->name);
    praas_win_fence(PRAAS_MODE_NOSUCCEED, tw.win);
    ok = 1;
    for (int i = 0; i < 8; i++)
        ok &= mem[i] == 5;
    lt_check(ok, "%s window: rejected calls changed nothing", k->name);

    lt_check(praas_win_unlock(0, tw.win) == PRAAS_ERR_STATE &&
                 strstr(praas_errmsg(), "without a lock"),
             "%s window: unlock without lock is PRAAS_ERR_STATE", k->name);
    lt_check(praas_win_wait(tw.win) == PRAAS_ERR_STATE && praas_win_test(tw.win, &flag) ==
                 PRAAS_ERR_STATE,
             "%s window: wait and test without post are PRAAS_ERR_STATE", k->name);
    lt_check(praas_win_complete(tw.win) == PRAAS_ERR_STATE,
             "%s window: complete without start is PRAAS_ERR_STATE", k->name);
    lt_check(praas_win_flush(0, tw.win) == PRAAS_ERR_STATE,
             "%s window: flush outside a lock epoch is PRAAS_ERR_STATE", k->name);
    praas_win_lock_all(0, tw.win);
    rc = praas_win_free(&tw.win);
    lt_check(rc == PRAAS_ERR_STATE && tw.win != PRAAS_WIN_NULL,
             "%s window: free inside an epoch is PRAAS_ERR_STATE and keeps the window",
             k->name);
    lt_check(praas_win_lock(PRAAS_LOCK_EXCLUSIVE, 0, 0, tw.win) == PRAAS_ERR_STATE,
             "%s window: lock inside lock_all is PRAAS_ERR_STATE", k->name);
    praas_win_unlock_all(tw.win);
    lt_check(lt_report(tw_close(&tw), "free") && tw.win == PRAAS_WIN_NULL,
             "%s window: freed after the epoch ends", k->name);
}

/* ---- shared windows: direct loads and stores ---- */

static void test_shared(void)
{
    int64_t *mine, *peer;
    int ok = 1, right = (lt_rank + 1) % lt_size, du;
    size_t sz;
    praas_win_t win;

    ok &= lt_report(praas_win_allocate_shared(N * sizeof(int64_t), sizeof(int64_t), &mine, &win),
                    "allocate_shared");
    for (int i = 0; i < N; i++)
        mine[i] = val(lt_rank, i);
    praas_win_fence(0, win);
    ok &= lt_report(praas_win_shared_query(win, right, &sz, &du, &peer), "shared_query");
    ok &= sz == N * sizeof(int64_t) && du == (int)sizeof(int64_t);
    for (int i = 0; i < N; i++)
        ok &= peer[i] == val(right, i);
    if (right != 0)
        ok &= peer == mine + N; /* contiguous, rank order */
    praas_win_fence(PRAAS_MODE_NOSUCCEED, win);
    ok &= lt_report(praas_win_free(&win), "free");
    lt_check(ok, "shared window: neighbours' memory is loaded directly, contiguous by rank");
}

/* ---- dynamic windows: attach, address by the target's address ---- */

static void test_dynamic(void)
{
    int right = (lt_rank + 1) % lt_size, left = (lt_rank + lt_size - 1) % lt_size, ok = 1, rc;
    int64_t *buf = calloc(N, sizeof(int64_t)), src[N], got[N];
    uint64_t mine = (uint64_t)(uintptr_t)buf, *addrs = calloc((size_t)lt_size, 8);
    praas_win_t win;

    ok &= lt_report(praas_win_create_dynamic(&win), "create_dynamic");
    ok &= lt_report(praas_win_attach(win, buf, N * sizeof(int64_t)), "attach");
    lt_check(praas_win_attach(win, buf + 1, 8) == PRAAS_ERR_EXISTS,
             "dynamic window: attaching an overlapping region is PRAAS_ERR_EXISTS");
    for (int i = 0; i < N; i++) {
        buf[i] = val(lt_rank + 9, i);
        src[i] = val(lt_rank, i);
    }
    ok &= lt_report(praas_allgather(&mine, 1, PRAAS_UINT64, addrs), "allgather addresses");
    ok &= lt_report(praas_win_fence(0, win), "fence");
    ok &= lt_report(praas_get(got, N, PRAAS_INT64, right, addrs[right], win), "get");
    ok &= lt_report(praas_win_fence(0, win), "fence");
    ok &= lt_report(praas_put(src, N / 2, PRAAS_INT64, right, addrs[right], win), "put");
    ok &= lt_report(praas_accumulate(src, N / 2, PRAAS_INT64, right,
                                     addrs[right] + N / 2 * sizeof(int64_t), PRAAS_OP_SUM, win),
                    "accumulate");
    ok &= lt_report(praas_win_fence(0, win), "fence");
    for (int i = 0; i < N; i++) {
        ok &= got[i] == val(right + 9, i);
        ok &= buf[i] == (i < N / 2 ? val(left, i) : val(lt_rank + 9, i) + val(left, i - N / 2));
    }
    lt_check(ok, "dynamic window: get, put and accumulate at the target's attached address");

    /* An address outside every attached region: refused by the target,
     * reported at the end of the epoch, nothing written. */
    rc = praas_put(src, 1, PRAAS_INT64, right, addrs[right] + N * sizeof(int64_t), win);
    if (!rc)
        rc = praas_win_fence(0, win);
    lt_check(rc == PRAAS_ERR_RANGE, "dynamic window: a put outside the attached regions is "
                                    "reported as PRAAS_ERR_RANGE (%s)", praas_errmsg());
    praas_win_fence(PRAAS_MODE_NOSUCCEED, win);
    ok = lt_report(praas_win_detach(win, buf), "detach");
    ok &= praas_win_detach(win, buf) == PRAAS_ERR_NOT_FOUND;
    ok &= lt_report(praas_win_free(&win), "free");
    lt_check(ok, "dynamic window: detach (twice is PRAAS_ERR_NOT_FOUND) and free");
    free(buf);
    free(addrs);
}

int main(void)
{
    lt_init();
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        test_fence(&kinds[k]);
        test_all_ops(&kinds[k]);
        test_counter(&kinds[k]);
        test_pscw(&kinds[k]);
        test_requests(&kinds[k]);
        test_misuse(&kinds[k]);
    }
    test_shared();
    test_dynamic();
    return lt_finish();
}
