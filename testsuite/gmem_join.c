/*
 * gmem_join: a worker joins a running process under load, then leaves
 * (run by testsuite/gmem_view.sh under praas-run --elastic -n 3; TAP from
 * rank 0).
 *
 * Ranks 0, 1 and 2 keep adding to their slot of a counter object (at rank
 * 0) and writing checksummed blocks (at rank 1), reading each back. Rank 0
 * sends SIGUSR1 to praas-run after 200 additions: the launcher announces
 * rank 3 and starts it with PRAAS_JOIN=1. The members connect to it and
 * acknowledge; its praas_init returns once view 1 = {0, 1, 2, 3} is
 * published. It then opens the objects, adds to its own slot, writes a
 * block it owns and one at rank 1, and publishes its count. Everybody waits
 * for the four counts: each counter must equal its rank's additions (no
 * lost update), every block read back intact (no torn one), rank 0 reads
 * the joiner's own block remotely. Then rank 0 sends SIGUSR2: the highest
 * rank, the joiner, leaves (its block moves to a member) and view 2 =
 * {0, 1, 2}; the block is read back intact where it moved.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <praas.h>

#include "testsuite/lib/view_test.h"

#define BLK 4096
#define JOINER 3
#define NSLOT 8
#define WAIT_S 60

/* A block: seq, bytes from seq and the writer, and a checksum of them. */
static void blk_fill(unsigned char *b, uint64_t seq, int r)
{
    uint64_t sum = 0;

    memcpy(b, &seq, 8);
    for (size_t i = 8; i < BLK - 8; i++) {
        b[i] = (unsigned char)(((seq * 131 + (uint64_t)r + i) * 0x9e3779b97f4a7c15ull) >> 56);
        sum = sum * 31 + b[i];
    }
    memcpy(b + BLK - 8, &sum, 8);
}

/* Whether b is an intact block (whatever its seq) of writer r. */
static int blk_intact(const unsigned char *b, int r, uint64_t *seq_p)
{
    unsigned char want[BLK];
    uint64_t seq;

    memcpy(&seq, b, 8);
    blk_fill(want, seq, r);
    *seq_p = seq;
    return memcmp(b, want, BLK) == 0;
}

/* One step of load: add to this rank's slot, write a block and read it
 * back. Returns 0 or 1 (reported). */
static int step(praas_obj_t ctr, praas_obj_t blk, uint64_t *adds, uint64_t *seq)
{
    unsigned char out[BLK], in[BLK];
    uint64_t got;
    int rc;

    rc = praas_obj_fetch_add(ctr, 8 * (size_t)rank, 1, NULL);
    if (rc) {
        tap_line(0, "rank %d: fetch_add %llu: %s", rank, (unsigned long long)*adds,
                 praas_errmsg());
        return 1;
    }
    (*adds)++;
    blk_fill(out, ++*seq, rank);
    rc = praas_obj_put(blk, 0, out, BLK);
    if (!rc)
        rc = praas_obj_get(blk, 0, in, BLK);
    if (rc || !blk_intact(in, rank, &got) || got != *seq) {
        tap_line(0, "rank %d: block write %llu: %s", rank, (unsigned long long)*seq,
                 rc ? praas_errmsg() : "read back torn or lost");
        return 1;
    }
    return 0;
}

/* Wait until the four counts are in res (non-zero). */
static int wait_counts(praas_obj_t res, uint64_t *r)
{
    double end = now_s() + WAIT_S;
    int rc;

    for (;;) {
        int all = 1;
        rc = praas_obj_get(res, 0, r, 8 * (JOINER + 1));
        for (int k = 0; k <= JOINER; k++)
            all &= r[k] != 0;
        if (rc || all)
            return rc;
        if (now_s() > end)
            return PRAAS_ERR_TIMEOUT;
        nap_ms(5);
    }
}

static void run_joiner(void)
{
    praas_obj_t ctr = NULL, res = NULL, blk = NULL, own = NULL;
    uint64_t adds = 0, seq = 0, view = 0, r[NSLOT];
    int member = 0, members[8], n = 0;
    unsigned char out[BLK];
    double end;

    praas_view_get(&view, members, 8, &n);
    praas_view_is_member(rank, &member);
    tap_line(view == 1 && n == 4 && member, "rank 3: praas_init returned in view %llu with %d "
             "members, itself among them", (unsigned long long)view, n);
    if (open_wait("jn.ctr", &ctr, WAIT_S) || open_wait("jn.res", &res, WAIT_S) ||
        praas_obj_alloc("jn.blk.3", BLK, 1, &blk) ||
        praas_obj_alloc("jn.own", BLK, PRAAS_OBJ_HERE, &own)) {
        tap_line(0, "rank 3: objects: %s", praas_errmsg());
        goto out;
    }
    for (int i = 0; i < 300; i++)
        if (step(ctr, blk, &adds, &seq))
            goto out;
    blk_fill(out, 7, JOINER);
    if (praas_obj_put(own, 0, out, BLK) || praas_obj_put(res, 8 * JOINER, &adds, 8)) {
        tap_line(0, "rank 3: publishing: %s", praas_errmsg());
        goto out;
    }
    if (wait_counts(res, r))
        tap_line(0, "rank 3: the counts did not arrive: %s", praas_errmsg());
    /* Rank 0 asks it to leave once it checked everything. */
    end = now_s() + WAIT_S;
    while (member && now_s() < end) {
        nap_ms(5);
        praas_view_is_member(rank, &member);
    }
    tap_line(!member, "rank 3 left the view");
out:
    praas_obj_close(&own);
    praas_obj_close(&blk);
    praas_obj_close(&res);
    praas_obj_close(&ctr);
}

static void run_member(void)
{
    praas_obj_t ctr = NULL, res = NULL, blk = NULL, own = NULL;
    uint64_t adds = 0, seq = 0, r[NSLOT] = {0}, c[NSLOT] = {0}, got = 0, view = 0;
    unsigned char in[BLK];
    char name[32];
    double end = now_s() + WAIT_S;
    int after = 0, signalled = 0, members[8], n = 0, rc, match = 1;

    snprintf(name, sizeof(name), "jn.blk.%d", rank);
    if (rank == 0) {
        if (praas_obj_alloc("jn.ctr", 8 * NSLOT, PRAAS_OBJ_HERE, &ctr) ||
            praas_obj_alloc("jn.res", 8 * NSLOT, PRAAS_OBJ_HERE, &res))
            return tap_line(0, "rank 0: objects: %s", praas_errmsg());
    } else if (open_wait("jn.ctr", &ctr, WAIT_S) || open_wait("jn.res", &res, WAIT_S)) {
        return tap_line(0, "rank %d: open: %s", rank, praas_errmsg());
    }
    if (praas_obj_alloc(name, BLK, 1, &blk))
        return tap_line(0, "rank %d: alloc %s: %s", rank, name, praas_errmsg());
    /* The load goes on through the join and 300 steps past it. */
    while (after < 300) {
        if (now_s() > end) {
            tap_line(0, "rank %d: view 1 not published within %d s", rank, WAIT_S);
            break;
        }
        if (step(ctr, blk, &adds, &seq))
            break;
        if (atomic_load(&cb_view) >= 1)
            after++;
        if (rank == 0 && !signalled && adds >= 200) {
            kill(getppid(), SIGUSR1);
            signalled = 1;
        }
    }
    if (praas_obj_put(res, 8 * (size_t)rank, &adds, 8))
        tap_line(0, "rank %d: publishing the count: %s", rank, praas_errmsg());
    /* Nobody finalizes (frees the objects) before the joiner is done. */
    rc = wait_counts(res, r);
    if (rank != 0) {
        if (rc)
            tap_line(0, "rank %d: the counts did not arrive: %s", rank, praas_errmsg());
        goto out;
    }
    if (!rc)
        rc = praas_obj_get(ctr, 0, c, sizeof(c));
    for (int k = 0; k <= JOINER; k++)
        match &= c[k] == r[k] && r[k] > 0;
    tap_line(!rc && match, "no lost update through the join: each counter equals its rank's "
             "additions (%llu %llu %llu %llu; counted %llu %llu %llu %llu)",
             (unsigned long long)c[0], (unsigned long long)c[1], (unsigned long long)c[2],
             (unsigned long long)c[3], (unsigned long long)r[0], (unsigned long long)r[1],
             (unsigned long long)r[2], (unsigned long long)r[3]);
    praas_view_get(&view, members, 8, &n);
    tap_line(view == 1 && n == 4 && members[3] == JOINER && atomic_load(&callbacks) == 1,
             "view 1 has members {0 .. 3}, the callback ran once (view %llu, %d members, %d "
             "calls)", (unsigned long long)view, n, atomic_load(&callbacks));
    tap_line(!vt_failed, "every block write read back intact through the join (%llu here)",
             (unsigned long long)seq);
    rc = open_wait("jn.own", &own, WAIT_S);
    if (!rc)
        rc = praas_obj_get(own, 0, in, BLK);
    tap_line(!rc && blk_intact(in, JOINER, &got) && got == 7,
             "rank 0 reads the block the joiner owns, intact (%s)", rc ? praas_errmsg() : "ok");

    /* Join, then leave: the highest rank, the joiner, goes. */
    kill(getppid(), SIGUSR2);
    wait_view_get(2, &view, members, 8, &n);
    tap_line(view == 2 && n == 3 && members[2] == 2, "the joiner leaves: view 2 = {0, 1, 2} "
             "(view %llu, %d members)", (unsigned long long)view, n);
    rc = praas_obj_get(own, 0, in, BLK);
    tap_line(!rc && blk_intact(in, JOINER, &got) && got == 7,
             "its block moved to a member, intact (%s)", rc ? praas_errmsg() : "ok");
out:
    praas_obj_close(&own);
    praas_obj_close(&blk);
    praas_obj_close(&res);
    praas_obj_close(&ctr);
}

int main(void)
{
    if (vt_init())
        return 1;
    praas_view_set_callback(on_view, NULL);
    if (size != JOINER) {
        tap_line(0, "run on %d workers, not %d", size, JOINER);
    } else if (rank == JOINER) {
        run_joiner();
    } else {
        run_member();
    }
    return vt_finish();
}
