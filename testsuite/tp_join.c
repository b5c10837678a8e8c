/*
 * tp_join: a peer joins running transport contexts (tp_connect_peer).
 * Three contexts in one process: A (rank 0) and B (rank 1) start as a world
 * of 2 with room for 4 peers and are connected by tp_connect(); B runs a
 * progress thread and a load thread on A keeps adding to a counter in B's
 * memory with remote atomics. While that runs, C (rank 2) is opened, A and
 * B connect it with tp_connect_peer(), and C connects itself and both of
 * them. C then adds to the same counter, puts and gets B's memory, sends
 * active messages both ways, and A and B work on C's memory. The counter
 * must end equal to every addition made; the bytes must be those written.
 * Bad input: a peer out of range, a peer connected twice, an empty
 * address, operations to a peer never connected, a rank past the maximum.
 *
 * Uses only transport.h: PRAAS_TRANSPORT=ucx (default) or ofi. Prints TAP.
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "testsuite/lib/tp_test.h"
#include "transport/transport.h"

#define MAXP 4
#define REGION (1u << 20)
#define CTR_OFF 0        /* B's counter, in B's region */
#define DATA_OFF 4096    /* where put and get work */
#define DATA_LEN 65536
#define NC_ADDS 2000     /* additions C makes */
#define NTESTS 22

/* ---- the load on A (B and C run tpt_progress_main) ---- */

static atomic_int stop_load;
static tp_ctx_t *ctx_a, *ctx_b, *ctx_c;
static tp_rkey_t *a_rkey_b;
static uint64_t load_adds;
static int load_rc;

/* A adds 1 to B's counter until told to stop, waiting for each. */
static void *load_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_load)) {
        tp_comp_t comp;
        uint64_t old;
        int rc;

        tp_comp_init(&comp);
        rc = tp_atomic(ctx_a, 1, TP_AOP_ADD, 8, 1, 0, &old, a_rkey_b, CTR_OFF, &comp);
        if (!rc)
            rc = tp_comp_wait(ctx_a, &comp, TPT_TIMEOUT_MS);
        if (rc) {
            load_rc = rc;
            break;
        }
        load_adds++;
    }
    return NULL;
}

/* ---- active messages: C pings A and B, they answer from the handler ---- */

enum { AM_PING = 1, AM_PONG = 2 };
static atomic_int pongs, ping_from_c;

static void on_ping(void *arg, int src, const void *hdr, size_t hdr_len, const void *payload,
                    size_t len)
{
    tp_ctx_t *self = arg;
    (void)hdr;
    (void)hdr_len;
    if (src == 2)
        atomic_fetch_add(&ping_from_c, 1);
    (void)tp_am_send(self, src, AM_PONG, &self->rank, sizeof(int), payload, len);
}

static void on_pong(void *arg, int src, const void *hdr, size_t hdr_len, const void *payload,
                    size_t len)
{
    int who = -1;
    (void)arg;
    if (hdr_len == sizeof(int))
        memcpy(&who, hdr, sizeof(int));
    if (who == src && len == 5 && memcmp(payload, "hello", 5) == 0)
        atomic_fetch_add(&pongs, 1);
}

static int comp_op(tp_ctx_t *ctx, int rc, tp_comp_t *comp)
{
    if (!rc)
        rc = tp_comp_wait(ctx, comp, TPT_TIMEOUT_MS);
    return rc;
}

int main(void)
{
    const char *name;
    const tp_ops_t *ops;
    void *addrs[MAXP];
    size_t lens[MAXP];
    unsigned char *mem_b, *mem_c, *src, *dst;
    tp_mr_t *mr_b, *mr_c;
    tp_rkey_t *c_rkey_b, *a_rkey_c, *b_rkey_c;
    pthread_t prog_b, prog_c, load;
    tp_comp_t comp;
    tp_ctx_t *bad;
    uint64_t old;
    int rc;

    name = tpt_start("tp_join", NTESTS, &ops);
    tpt_pair(ops, MAXP, &ctx_a, &ctx_b, addrs, lens);
    tpt_ok(ctx_a->max_peers == MAXP, "a world of 2 has room for %d peers", ctx_a->max_peers);
    tp_am_register(ctx_a, AM_PING, on_ping, ctx_a);
    tp_am_register(ctx_b, AM_PING, on_ping, ctx_b);

    mem_b = aligned_alloc(4096, REGION);
    mem_c = aligned_alloc(4096, REGION);
    src = malloc(DATA_LEN);
    dst = malloc(DATA_LEN);
    memset(mem_b, 0, REGION);
    memset(mem_c, 0, REGION);
    if ((rc = tp_mr_reg(ctx_b, mem_b, REGION, &mr_b)) != 0)
        tpt_bail("tp_mr_reg B", rc);
    a_rkey_b = tpt_key(ctx_b, mr_b, ctx_a, 1, NULL, NULL);

    /* Bad input, before anything runs. */
    rc = tp_open(ops, &(tp_config_t){.rank = MAXP, .size = 2, .max_size = MAXP}, &bad);
    tpt_ok(rc == PRAAS_ERR_INVALID, "a rank at the maximum is refused: %s", praas_errmsg());
    rc = tp_connect_peer(ctx_a, MAXP, addrs[1], lens[1]);
    tpt_ok(rc == PRAAS_ERR_INVALID, "peer %d (past the maximum) is refused: %s", MAXP,
           praas_errmsg());
    rc = tp_connect_peer(ctx_a, -1, addrs[1], lens[1]);
    tpt_ok(rc == PRAAS_ERR_INVALID, "peer -1 is refused: %s", praas_errmsg());
    rc = tp_connect_peer(ctx_a, 1, addrs[1], lens[1]);
    tpt_ok(rc == PRAAS_ERR_STATE, "a peer connected twice is refused: %s", praas_errmsg());
    rc = tp_connect_peer(ctx_a, 3, NULL, 0);
    tpt_ok(rc != 0, "an empty address is refused: %s", praas_errmsg());
    rc = tp_am_send(ctx_a, 3, AM_PING, NULL, 0, "hello", 5);
    tpt_ok(rc == PRAAS_ERR_STATE, "a message to a peer never connected: %s", praas_errmsg());
    tp_comp_init(&comp);
    rc = tp_atomic(ctx_a, 3, TP_AOP_ADD, 8, 1, 0, NULL, a_rkey_b, CTR_OFF, &comp);
    tpt_ok(rc == PRAAS_ERR_STATE, "an atomic to a peer never connected: %s", praas_errmsg());

    /* The load runs while C joins. */
    atomic_store(&tpt_stop_progress, 0);
    atomic_store(&stop_load, 0);
    if (pthread_create(&prog_b, NULL, tpt_progress_main, ctx_b) != 0 ||
        pthread_create(&load, NULL, load_main, NULL) != 0)
        tpt_bail("pthread_create", PRAAS_ERR_INTERNAL);
    usleep(50000);

    ctx_c = tpt_open(ops, 2, MAXP);
    addrs[2] = tpt_addr(ctx_c, &lens[2]);
    tp_am_register(ctx_c, AM_PONG, on_pong, NULL);
    rc = tp_connect_peer(ctx_a, 2, addrs[2], lens[2]);
    if (!rc)
        rc = tp_connect_peer(ctx_b, 2, addrs[2], lens[2]);
    tpt_ok(rc == 0, "A and B connect the joiner while A works");
    rc = 0;
    for (int p = 0; p < 3 && !rc; p++)
        rc = tp_connect_peer(ctx_c, p, addrs[p], lens[p]);
    tpt_ok(rc == 0, "the joiner connects A, B and itself");
    if (rc)
        tpt_bail("tp_connect_peer", rc);
    if (pthread_create(&prog_c, NULL, tpt_progress_main, ctx_c) != 0)
        tpt_bail("pthread_create", PRAAS_ERR_INTERNAL);

    /* C adds to B's counter alongside A. */
    c_rkey_b = tpt_key(ctx_b, mr_b, ctx_c, 1, NULL, NULL);
    rc = 0;
    for (int i = 0; i < NC_ADDS && !rc; i++) {
        tp_comp_init(&comp);
        rc = comp_op(ctx_c, tp_atomic(ctx_c, 1, TP_AOP_ADD, 8, 1, 0, &old, c_rkey_b, CTR_OFF,
                                      &comp), &comp);
    }
    tpt_ok(rc == 0, "the joiner made %d fetch-adds on B's counter", NC_ADDS);

    /* C puts into B and gets it back. */
    for (size_t i = 0; i < DATA_LEN; i++)
        src[i] = (unsigned char)(i * 13u + 7u);
    tp_comp_init(&comp);
    rc = comp_op(ctx_c, tp_put(ctx_c, 1, src, DATA_LEN, c_rkey_b, DATA_OFF, &comp), &comp);
    if (!rc)
        rc = tp_flush(ctx_c, 1, TPT_TIMEOUT_MS);
    tpt_ok(rc == 0 && memcmp(mem_b + DATA_OFF, src, DATA_LEN) == 0,
           "the joiner's put of %d bytes is in B's memory", DATA_LEN);
    memset(dst, 0, DATA_LEN);
    tp_comp_init(&comp);
    rc = comp_op(ctx_c, tp_get(ctx_c, 1, dst, DATA_LEN, c_rkey_b, DATA_OFF, &comp), &comp);
    tpt_ok(rc == 0 && memcmp(dst, src, DATA_LEN) == 0, "the joiner gets the same bytes back");

    /* Active messages from the joiner, answered from A's and B's handlers. */
    rc = tp_am_send(ctx_c, 0, AM_PING, NULL, 0, "hello", 5);
    if (!rc)
        rc = tp_am_send(ctx_c, 1, AM_PING, NULL, 0, "hello", 5);
    if (!rc && !tpt_wait_flag(ctx_c, &pongs, 2))
        rc = PRAAS_ERR_TIMEOUT;
    tpt_ok(rc == 0 && atomic_load(&ping_from_c) == 2,
           "messages joiner -> A, B and their replies arrive (%d pongs)", atomic_load(&pongs));

    /* A and B work on the joiner's memory. */
    if ((rc = tp_mr_reg(ctx_c, mem_c, REGION, &mr_c)) != 0)
        tpt_bail("tp_mr_reg C", rc);
    b_rkey_c = tpt_key(ctx_c, mr_c, ctx_b, 2, NULL, NULL);
    a_rkey_c = tpt_key(ctx_c, mr_c, ctx_a, 2, NULL, NULL);
    tp_comp_init(&comp);
    rc = comp_op(ctx_b, tp_atomic(ctx_b, 2, TP_AOP_ADD, 8, 5, 0, &old, b_rkey_c, CTR_OFF,
                                  &comp), &comp);
    tp_comp_init(&comp);
    if (!rc)
        rc = comp_op(ctx_a, tp_atomic(ctx_a, 2, TP_AOP_ADD, 8, 7, 0, &old, a_rkey_c, CTR_OFF,
                                      &comp), &comp);
    tpt_ok(rc == 0 && old == 5, "A's fetch-add on the joiner sees B's (old %" PRIu64 ")", old);
    tp_comp_init(&comp);
    rc = comp_op(ctx_a, tp_put(ctx_a, 2, src, DATA_LEN, a_rkey_c, DATA_OFF, &comp), &comp);
    if (!rc)
        rc = tp_flush(ctx_a, 2, TPT_TIMEOUT_MS);
    tpt_ok(rc == 0 && memcmp(mem_c + DATA_OFF, src, DATA_LEN) == 0,
           "A's put is in the joiner's memory");

    /* Stop the load; every addition is in B's counter. */
    atomic_store(&stop_load, 1);
    pthread_join(load, NULL);
    tpt_ok(load_rc == 0, "A's load ran without an error (%" PRIu64 " adds)", load_adds);
    rc = tp_flush(ctx_a, -1, TPT_TIMEOUT_MS);
    if (!rc)
        rc = tp_flush(ctx_c, -1, TPT_TIMEOUT_MS);
    tpt_ok(rc == 0, "A and the joiner flush all peers");
    {
        uint64_t ctr, cc;
        memcpy(&ctr, mem_b + CTR_OFF, 8);
        memcpy(&cc, mem_c + CTR_OFF, 8);
        tpt_ok(ctr == load_adds + NC_ADDS,
               "B's counter %" PRIu64 " = A's %" PRIu64 " + the joiner's %d", ctr, load_adds,
               NC_ADDS);
        tpt_ok(cc == 12, "the joiner's counter %" PRIu64 " = 5 + 7", cc);
    }
    tpt_ok(load_adds > 0, "A kept working through the join");
    tpt_ok(strncmp(tp_describe(ctx_c), name, strlen(name)) == 0, "joiner describes itself: %s",
           tp_describe(ctx_c));

    atomic_store(&tpt_stop_progress, 1);
    pthread_join(prog_b, NULL);
    pthread_join(prog_c, NULL);
    tp_rkey_release(ctx_a, a_rkey_c);
    tp_rkey_release(ctx_b, b_rkey_c);
    tp_rkey_release(ctx_c, c_rkey_b);
    tp_rkey_release(ctx_a, a_rkey_b);
    tp_mr_dereg(ctx_c, mr_c);
    tp_mr_dereg(ctx_b, mr_b);
    tp_close(ctx_c);
    tp_close(ctx_b);
    tp_close(ctx_a);
    free(mem_b);
    free(mem_c);
    free(src);
    free(dst);
    for (int p = 0; p < 3; p++)
        free(addrs[p]);
    return tpt_exit(NTESTS);
}
