/*
 * The worker program of testsuite/gmem_view.sh: objects across view
 * changes, a worker killed during a run, and the view routes' bad input.
 * Rank 0 prints TAP lines (without the plan: the script counts); the
 * others report to stderr. Exit status 0 when every check of this rank
 * passed.
 *
 *   gmem_view kill      (3 workers, praas-run --keep-going, PRAAS_STORAGE
 *       set) rank 2 allocates kv.kept (persisted) and kv.gone (never
 *       persisted), everybody reads both, then rank 2 kills itself with
 *       SIGKILL. Ranks 0 and 1 then get kv.kept (restored from storage onto
 *       one of them, byte-exact), update it with fetch_add from both, and
 *       get kv.gone, which must fail with PRAAS_ERR_PEER naming it "lost".
 *   gmem_view leave     (4 workers, praas-run --elastic) every object lives
 *       at rank 3: a counter per rank (fetch_add) and a checksummed block
 *       per rank (put, then get and verify). Every rank loops on them; rank
 *       0 sends SIGUSR2 to praas-run, which asks rank 3 to leave. Rank 3
 *       hands its objects over while the others go on; it stops when it sees
 *       it left. Then: view 1 of members {0, 1, 2}, the callback ran once,
 *       no object is owned by rank 3, every counter equals the number of
 *       additions its rank made (no lost update), every block verified.
 *   gmem_view leave2    (4 workers, praas-run --elastic) the same with two
 *       changes in a row: rank 3 leaves, then rank 2 (objects move twice).
 *   gmem_view routes    (1 worker) bad input for the view routes.
 *   gmem_view protocol  (1 worker) the view change protocol of the control
 *       plane driven by hand over HTTP on a second process of 4 registered
 *       (fake) sessions: acknowledgement order, a failure merged into a
 *       leave under way, publication, sessions and fence after it, an
 *       object entry moved with state "migrated"; then the join step on a
 *       third process of 2 ranks: a joiner registers beyond the starting
 *       size, acknowledges last, counts at a fence and as an owner, leaves
 *       again; a joiner that dies during its join is dropped.
 * The location cache is checked white-box (gm_dir_lookups): a view change or
 * a dead owner makes the next access look its object up again, and the
 * accesses after that ask the directory nothing.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <praas.h>

#include "client/http.h"
#include "gmem/gmem.h"
#include "testsuite/lib/view_test.h"

static unsigned char byte_at(uint64_t seed, size_t i)
{
    uint64_t x = (seed + i) * 0x9e3779b97f4a7c15ull;
    return (unsigned char)(x >> 56);
}

/* Everybody in `who` (a count) arrives: a counter object at rank 0. */
static int meet(praas_obj_t sync, size_t slot, uint64_t who)
{
    double end = now_s() + 60;
    uint64_t v = 0;
    int rc = praas_obj_fetch_add(sync, slot * 8, 1, NULL);

    while (!rc && now_s() < end) {
        rc = praas_obj_get(sync, slot * 8, &v, 8);
        if (!rc && v >= who)
            return 0;
        nap_ms(2);
    }
    return rc ? rc : PRAAS_ERR_TIMEOUT;
}

static int check_bytes(praas_obj_t o, size_t len, uint64_t seed, const char *what)
{
    unsigned char *buf = malloc(len);
    int rc, bad = 0;

    if (!buf)
        return 1;
    rc = praas_obj_get(o, 0, buf, len);
    if (rc) {
        tap_line(0, "%s: get failed: %s (%s)", what, praas_err_name(rc), praas_errmsg());
        free(buf);
        return 1;
    }
    for (size_t i = 0; i < len && !bad; i++)
        if (buf[i] != byte_at(seed, i)) {
            tap_line(0, "%s: byte %zu is %u, expected %u", what, i, buf[i], byte_at(seed, i));
            bad = 1;
        }
    free(buf);
    return bad;
}

/* ---- kill ---- */

#define KV_LEN 100003

static int run_kill(void)
{
    praas_obj_t sync = NULL, kept = NULL, gone = NULL;
    unsigned char *buf = malloc(KV_LEN);
    uint64_t old = 0, v = 0;
    int rc, bad = 0;

    if (!buf)
        return 1;
    if (rank == 0 && (rc = praas_obj_alloc("kv.sync", 64, PRAAS_OBJ_HERE, &sync)))
        return tap_line(0, "alloc kv.sync: %s", praas_errmsg()), 1;
    if (rank == 2) {
        for (size_t i = 0; i < KV_LEN; i++)
            buf[i] = byte_at(5, i);
        rc = praas_obj_alloc("kv.kept", KV_LEN, PRAAS_OBJ_HERE, &kept);
        if (!rc)
            rc = praas_obj_put(kept, 0, buf, KV_LEN);
        if (!rc)
            rc = praas_obj_persist(kept);
        if (!rc)
            rc = praas_obj_alloc("kv.gone", 4096, PRAAS_OBJ_HERE, &gone);
        if (!rc)
            rc = praas_obj_put(gone, 0, buf, 4096);
        if (rc)
            return fprintf(stderr, "rank 2: %s\n", praas_errmsg()), 1;
    }
    if ((rc = open_wait("kv.sync", &sync, 30)) ||
        (rank != 2 && (rc = open_wait("kv.kept", &kept, 30))) ||
        (rank != 2 && (rc = open_wait("kv.gone", &gone, 30))))
        return tap_line(0, "open: %s (%s)", praas_err_name(rc), praas_errmsg()), 1;
    if (rank != 2)
        bad |= check_bytes(kept, KV_LEN, 5, "kv.kept read from its live owner");
    rc = meet(sync, 0, 3);
    if (rc)
        return tap_line(0, "meeting before the kill: %s", praas_errmsg()), 1;
    if (rank == 2) {
        fflush(stderr);
        raise(SIGKILL);
    }
    if (rank == 1) {
        /* Rank 2 is dead by now, and maybe not yet out of the view: the
         * location cache still points at it, the access fails at the
         * transport and finds the owner gone in the directory. */
        nap_ms(2);
    } else {
        /* Rank 0 waits for the view without rank 2 (the cache is then
         * invalidated by the view change). */
        int member = 1;
        double end = now_s() + 30;
        while (member && now_s() < end) {
            praas_view_is_member(2, &member);
            nap_ms(5);
        }
        tap_line(!member, "rank 2 left the view after it was killed");
    }
    {
        unsigned long long before = gm_dir_lookups(), after;
        bad |= check_bytes(kept, KV_LEN, 5, "kv.kept after its owner was killed");
        after = gm_dir_lookups();
        for (int i = 0; i < 5 && !bad; i++)
            bad |= check_bytes(kept, 64, 5, "kv.kept again");
        if (rank == 0) {
            tap_line(after > before, "the cached location of kv.kept was looked up again after "
                     "its owner died (%llu lookups)", after - before);
            tap_line(gm_dir_lookups() == after, "then 5 more reads ask the directory nothing "
                     "(%llu lookups)", gm_dir_lookups() - after);
        }
    }
    rc = meet(sync, 2, 2);
    bad |= rc != 0;
    tap_line(!bad, "kv.kept (persisted by rank 2) reads back byte-exact after rank 2 was killed");
    rc = praas_obj_fetch_add(kept, 8, 1000 + (uint64_t)rank, &old);
    tap_line(rc == 0, "fetch_add on the restored kv.kept: %s", rc ? praas_errmsg() : "ok");
    bad |= rc != 0;
    rc = meet(sync, 1, 2);
    bad |= rc != 0;
    if (!rc && rank == 0) {
        uint64_t base = 0; /* the element as persisted: bytes 8..15 of the pattern */
        memcpy(&base, (unsigned char[8]){byte_at(5, 8), byte_at(5, 9), byte_at(5, 10),
                                         byte_at(5, 11), byte_at(5, 12), byte_at(5, 13),
                                         byte_at(5, 14), byte_at(5, 15)}, 8);
        rc = praas_obj_get(kept, 8, &v, 8);
        tap_line(rc == 0 && v == base + 1000 + 1001,
                 "both survivors' additions are in the restored object (%llu, expected %llu)",
                 (unsigned long long)(v - base), 2001ull);
    }
    rc = praas_obj_get(gone, 0, buf, 4096);
    tap_line(rc == PRAAS_ERR_PEER && strstr(praas_errmsg(), "lost") &&
                 strstr(praas_errmsg(), "kv.gone"),
             "get of kv.gone (never persisted) fails with PRAAS_ERR_PEER: %s", praas_errmsg());
    bad |= !(rc == PRAAS_ERR_PEER);
    rc = praas_obj_put(gone, 0, buf, 16);
    tap_line(rc == PRAAS_ERR_PEER, "a put to kv.gone fails too (%s)", praas_err_name(rc));
    bad |= rc != PRAAS_ERR_PEER;
    if (rank == 0) {
        uint64_t view = 0;
        int members[4], n = 0;
        praas_view_get(&view, members, 4, &n);
        tap_line(view == 1 && n == 2 && members[0] == 0 && members[1] == 1,
                 "the view is 1 with members {0, 1} (view %llu, %d members)",
                 (unsigned long long)view, n);
    }
    praas_obj_close(&kept);
    praas_obj_close(&gone);
    praas_obj_close(&sync);
    free(buf);
    return bad;
}

/* ---- leave ---- */

#define BLK 4096
#define LEAVER 3

/* A block: seq (8 bytes), data from seq, and a checksum of the rest in the
 * last 8 bytes. */
static void blk_fill(unsigned char *b, uint64_t seq, int r)
{
    uint64_t sum = 0;

    memcpy(b, &seq, 8);
    for (size_t i = 8; i < BLK - 8; i++) {
        b[i] = byte_at(seq * 131 + (uint64_t)r, i);
        sum = sum * 31 + b[i];
    }
    memcpy(b + BLK - 8, &sum, 8);
}

static int blk_ok(const unsigned char *b, uint64_t seq, int r)
{
    unsigned char want[BLK];

    blk_fill(want, seq, r);
    return memcmp(b, want, BLK) == 0;
}

static int gone_from = LEAVER;

static int owner_of(const praas_obj_info_t *info, void *arg)
{
    int *gone = arg;

    if (info->owner >= gone_from || info->owner < 0)
        (*gone)++;
    return 0;
}

static int run_leave(int leaves)
{
    praas_obj_t ctr = NULL, blk = NULL, res = NULL;
    unsigned char out[BLK], in[BLK];
    char name[32];
    uint64_t adds = 0, seq = 0;
    unsigned long long lk_before = 0;
    double t0 = now_s();
    int rc, bad = 0, signalled = 0, member = 1, after = 0;
    int leaver = rank >= size - leaves; /* the launcher removes the highest ranks */

    praas_view_set_callback(on_view, NULL);
    snprintf(name, sizeof(name), "lv.blk.%d", rank);
    if (rank == LEAVER) {
        rc = praas_obj_alloc("lv.ctr", 8 * (size_t)size, PRAAS_OBJ_HERE, &ctr);
        if (!rc)
            rc = praas_obj_alloc("lv.res", 8 * (size_t)size, PRAAS_OBJ_HERE, &res);
        if (rc)
            return fprintf(stderr, "rank 3: %s\n", praas_errmsg()), 1;
    } else if ((rc = open_wait("lv.ctr", &ctr, 30)) || (rc = open_wait("lv.res", &res, 30))) {
        return tap_line(0, "open: %s", praas_errmsg()), 1;
    }
    rc = praas_obj_alloc(name, BLK, LEAVER, &blk);
    if (rc)
        return tap_line(0, "alloc %s at rank 3: %s", name, praas_errmsg()), 1;

    for (;;) {
        if (leaver) {
            praas_view_is_member(rank, &member);
            if (!member)
                break;
        } else if (cb_view >= (uint64_t)leaves) {
            if (++after > 300)
                break;
        }
        if (now_s() - t0 > 60) {
            tap_line(0, "no view change within 60 s (rank %d, %llu additions)", rank,
                     (unsigned long long)adds);
            bad = 1;
            break;
        }
        rc = praas_obj_fetch_add(ctr, 8 * (size_t)rank, 1, NULL);
        if (rc) {
            tap_line(0, "fetch_add %llu: %s (%s)", (unsigned long long)adds, praas_err_name(rc),
                     praas_errmsg());
            bad = 1;
            break;
        }
        adds++;
        blk_fill(out, ++seq, rank);
        rc = praas_obj_put(blk, 0, out, BLK);
        if (!rc)
            rc = praas_obj_get(blk, 0, in, BLK);
        if (rc || !blk_ok(in, seq, rank)) {
            tap_line(0, "block %s, write %llu: %s", name, (unsigned long long)seq,
                     rc ? praas_errmsg() : "read back torn or lost");
            bad = 1;
            break;
        }
        /* One leave at a time: the next after the last is published. */
        if (rank == 0 && signalled < leaves && adds >= 200 * (uint64_t)(signalled + 1) &&
            cb_view == (uint64_t)signalled) {
            if (!signalled)
                lk_before = gm_dir_lookups();
            kill(getppid(), SIGUSR2);
            signalled++;
        }
    }
    rc = praas_obj_put(res, 8 * (size_t)rank, &adds, 8);
    if (rc) {
        tap_line(0, "publishing the count: %s", praas_errmsg());
        bad = 1;
    }
    if (leaver) {
        fprintf(stderr, "rank %d: left after %llu additions\n", rank, (unsigned long long)adds);
        goto out;
    }
    /* Wait for every rank's count (rank 3 wrote its count before leaving:
     * wait until 4 counts are non-zero). */
    if (rank == 0) {
        uint64_t c[4] = {0}, r[4] = {0};
        double end = now_s() + 30;
        int members[8], n = 0, gone = 0, match = 1;
        unsigned long long lk_end = gm_dir_lookups(), lk;
        uint64_t view = 0;
        for (;;) {
            int all = 1;
            rc = praas_obj_get(res, 0, r, sizeof(r));
            for (int k = 0; k < 4; k++)
                all &= r[k] != 0;
            if (rc || all || now_s() > end)
                break;
            nap_ms(5);
        }
        /* Ranks 1 and 2 wrote theirs when they stopped; they may lag. */
        rc = praas_obj_get(ctr, 0, c, sizeof(c));
        for (int k = 0; k < 4; k++)
            match &= c[k] == r[k] && r[k] > 0;
        tap_line(!rc && match, "no lost update: each counter equals its rank's additions "
                 "(%llu %llu %llu %llu; counted %llu %llu %llu %llu)",
                 (unsigned long long)c[0], (unsigned long long)c[1], (unsigned long long)c[2],
                 (unsigned long long)c[3], (unsigned long long)r[0], (unsigned long long)r[1],
                 (unsigned long long)r[2], (unsigned long long)r[3]);
        bad |= !match;
        praas_view_get(&view, members, 8, &n);
        tap_line(view == (uint64_t)leaves && n == size - leaves && members[0] == 0 &&
                     members[n - 1] == size - leaves - 1,
                 "view %d has members {0 .. %d} (view %llu, %d members)", leaves,
                 size - leaves - 1, (unsigned long long)view, n);
        tap_line(atomic_load(&callbacks) == leaves && atomic_load(&cb_view) == (uint64_t)leaves,
                 "the view callback ran once per change (%d times)", atomic_load(&callbacks));
        gone_from = size - leaves;
        praas_obj_list("lv.", owner_of, &gone);
        tap_line(gone == 0, "no object is left at a rank that left (%d are)", gone);
        bad |= gone != 0 || view != (uint64_t)leaves;
        tap_line(lk_end - lk_before >= 2, "the view change made the cached locations stale: "
                 "looked up again (%llu lookups)", lk_end - lk_before);
        lk = gm_dir_lookups();
        for (int i = 0; i < 10; i++)
            rc |= praas_obj_fetch_add(ctr, 0, 0, NULL) | praas_obj_get(blk, 0, in, 64);
        tap_line(!rc && gm_dir_lookups() == lk, "then 20 accesses ask the directory nothing "
                 "(%llu lookups)", gm_dir_lookups() - lk);
        tap_line(!bad, "every block write read back intact through the change (%llu writes "
                 "here)", (unsigned long long)seq);
    }
out:
    praas_obj_close(&blk);
    praas_obj_close(&ctr);
    praas_obj_close(&res);
    return bad;
}

/* ---- routes ---- */

static long http(const char *method, const char *path, const char *body)
{
    const char *url = getenv("PRAAS_CONTROL"), *id = getenv("PRAAS_PROCESS");
    char full[256];
    json_t *b = body ? json_loads(body, 0, NULL) : NULL, *resp = NULL;
    long status = 0;

    snprintf(full, sizeof(full), "/v1/processes/%s%s", id, path);
    cl_http_request(url, method, full, b, 5000, &status, &resp);
    json_decref(b);
    json_decref(resp);
    return status;
}

static int run_routes(void)
{
    static const struct {
        const char *method, *path, *body;
        long want;
        const char *what;
    } cases[] = {
        {"POST", "/views", "{}", 400, "a change naming no rank"},
        {"POST", "/views", "{\"leave\": \"x\"}", 400, "leave that is not an array"},
        {"POST", "/views", "{\"leave\": [5]}", 400, "a rank out of range"},
        {"POST", "/views", "{\"leave\": [0, 0]}", 400, "a rank named twice"},
        {"POST", "/views", "{\"leave\": [0], \"failed\": [0]}", 400, "leaving and failed"},
        {"POST", "/views", "{\"join\": [-1]}", 400, "a joining rank out of range"},
        {"POST", "/views", "{\"join\": [1, 1]}", 400, "a joining rank named twice"},
        {"POST", "/views", "{\"join\": [1], \"leave\": [0]}", 400, "a join and a leave"},
        {"POST", "/views", "{\"join\": [0]}", 409, "a member joining"},
        {"POST", "/views", "{\"leave\": [0]}", 409, "the last member leaving"},
        {"POST", "/views", "[1]", 400, "a body that is not an object"},
        {"POST", "/views/ack", "{\"view\": 1, \"rank\": 0}", 409, "an ack with no change"},
        {"POST", "/views/ack", "{\"rank\": 0}", 400, "an ack without a view"},
        {"GET", "/view?since=x", NULL, 400, "since that is not a number"},
        {"GET", "/view?timeout_ms=-4", NULL, 400, "a negative timeout"},
        {"PUT", "/view", "{}", 405, "PUT on the view"},
        {"GET", "/views", NULL, 405, "GET on views"},
        {"GET", "/views/nope", NULL, 404, "an unknown view route"},
        {"GET", "/view", NULL, 200, "the view itself"},
    };
    int bad = 0;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long st = http(cases[i].method, cases[i].path, cases[i].body);
        tap_line(st == cases[i].want, "%s %s (%s): %ld, expected %ld", cases[i].method,
                 cases[i].path, cases[i].what, st, cases[i].want);
        bad |= st != cases[i].want;
    }
    {
        const char *url = getenv("PRAAS_CONTROL"), *id = getenv("PRAAS_PROCESS");
        char path[128];
        json_t *view = NULL;
        snprintf(path, sizeof(path), "/v1/processes/%s/view?since=0&timeout_ms=300", id);
        double t = now_s();
        int rc = cl_http_request(url, "GET", path, NULL, 5000, NULL, &view);
        t = now_s() - t;
        tap_line(rc == 0 && t >= 0.25 && json_integer_value(json_object_get(view, "number")) == 0,
                 "the long poll of an unchanged view returns view 0 after its timeout (%.2f s)",
                 t);
        json_decref(view);
    }
    return bad;
}

/* ---- protocol ---- */

/* One request to the control plane; the answer's JSON in *resp_p (may be
 * NULL), the HTTP status returned. */
static long req(const char *method, const char *path, const char *body, json_t **resp_p)
{
    json_t *b = body ? json_loads(body, 0, NULL) : NULL, *resp = NULL;
    long status = 0;

    cl_http_request(getenv("PRAAS_CONTROL"), method, path, b, 10000, &status, &resp);
    json_decref(b);
    if (resp_p)
        *resp_p = resp;
    else
        json_decref(resp);
    return status;
}

/* The JSON array a as "0,1,2". */
static const char *ranks_of(json_t *a, char *buf, size_t len)
{
    size_t i, off = 0;
    json_t *v;

    buf[0] = '\0';
    json_array_foreach(a, i, v)
        off += (size_t)snprintf(buf + off, len - off, "%s%lld", i ? "," : "",
                                (long long)json_integer_value(v));
    return buf;
}

static int run_protocol(void)
{
    char path[160], body[256], b1[64], b2[64];
    json_t *r = NULL, *pend;
    const char *pid = "gv-proto";
    long st;
    int bad = 0;

#define CHECK(cond, ...) do { int c_ = (cond); tap_line(c_, __VA_ARGS__); bad |= !c_; } while (0)
    st = req("POST", "/v1/processes", "{\"size\": 4, \"id\": \"gv-proto\"}", NULL);
    CHECK(st == 201, "a second process of 4 ranks (%ld)", st);
    for (int k = 0; k < 4; k++) {
        snprintf(path, sizeof(path), "/v1/processes/%s/sessions", pid);
        snprintf(body, sizeof(body), "{\"rank\": %d, \"address\": \"AAAA\"}", k);
        st = req("POST", path, body, NULL);
        bad |= st != 201;
    }
    snprintf(path, sizeof(path), "/v1/processes/%s/objects", pid);
    st = req("POST", path, "{\"name\": \"o.at2\", \"owner\": 2, \"size\": 64, "
             "\"key\": \"AAAA\"}", NULL);
    CHECK(st == 201, "an object entry owned by rank 2 (%ld)", st);

    snprintf(path, sizeof(path), "/v1/processes/%s/views", pid);
    st = req("POST", path, "{\"leave\": [3]}", &r);
    pend = json_object_get(r, "pending");
    CHECK(st == 202 && json_integer_value(json_object_get(pend, "number")) == 1 &&
              strcmp(ranks_of(json_object_get(pend, "members"), b1, sizeof(b1)), "0,1,2") == 0,
          "announce: rank 3 leaves; view 1 will be {%s} (%ld)", b1, st);
    json_decref(r);
    st = req("POST", path, "{\"leave\": [2]}", NULL);
    CHECK(st == 409, "a second leave while one is under way: 409 (%ld)", st);

    snprintf(path, sizeof(path), "/v1/processes/%s/views/ack", pid);
    st = req("POST", path, "{\"view\": 1, \"rank\": 3}", NULL);
    CHECK(st == 409, "the leaving rank acknowledges before the others drained: 409 (%ld)", st);
    st = req("POST", path, "{\"view\": 2, \"rank\": 0}", NULL);
    CHECK(st == 409, "an acknowledgement of a view not under way: 409 (%ld)", st);
    req("POST", path, "{\"view\": 1, \"rank\": 0}", NULL);
    st = req("POST", path, "{\"view\": 1, \"rank\": 1}", &r);
    CHECK(st == 200 && json_object_get(r, "pending") &&
              json_integer_value(json_object_get(r, "number")) == 0,
          "ranks 0 and 1 acknowledge: still view 0, waiting (%ld)", st);
    json_decref(r);

    /* The agreement on the exchanges of view 0: reports, then the target. */
    snprintf(path, sizeof(path), "/v1/processes/%s/views/report", pid);
    req("POST", path, "{\"view\": 1, \"rank\": 0, \"rounds\": 5}", NULL);
    req("POST", path, "{\"view\": 1, \"rank\": 1, \"rounds\": 7}", NULL);
    req("POST", path, "{\"view\": 1, \"rank\": 0, \"rounds\": 9}", NULL);
    st = req("POST", path, "{\"view\": 1, \"rank\": 3, \"rounds\": 6}", &r);
    pend = json_object_get(r, "pending");
    CHECK(st == 200 && json_integer_value(json_object_get(pend, "rounds")) == 7 &&
              !json_object_get(pend, "target") &&
              strcmp(ranks_of(json_object_get(pend, "reported"), b1, sizeof(b1)), "0,1,3") == 0,
          "reports of 5, 7 and 6 exchanges (rank 0 again with 9: the first counts): largest 7, "
          "no target while rank 2 has not reported (reported {%s}, %ld)", b1, st);
    json_decref(r);
    st = req("POST", path, "{\"view\": 1, \"rank\": 2}", NULL);
    CHECK(st == 400, "a report without 'rounds': 400 (%ld)", st);
    st = req("POST", path, "{\"view\": 2, \"rank\": 2, \"rounds\": 1}", NULL);
    CHECK(st == 409, "a report for a view not under way: 409 (%ld)", st);

    snprintf(path, sizeof(path), "/v1/processes/%s/views", pid);
    st = req("POST", path, "{\"failed\": [2]}", &r);
    pend = json_object_get(r, "pending");
    CHECK(json_integer_value(json_object_get(pend, "target")) == 7,
          "rank 2 fails before it reports: the others are all there is, target 7 (%lld)",
          (long long)json_integer_value(json_object_get(pend, "target")));
    CHECK(st == 202 && strcmp(ranks_of(json_object_get(pend, "expect"), b1, sizeof(b1)),
                              "0,1,3") == 0 &&
              strcmp(ranks_of(json_object_get(pend, "members"), b2, sizeof(b2)), "0,1") == 0,
          "rank 2 fails meanwhile: merged, awaited {%s}, view 1 will be {%s} (%ld)", b1, b2,
          st);
    json_decref(r);
    snprintf(path, sizeof(path), "/v1/processes/%s/objects/o.at2", pid);
    req("GET", path, NULL, &r);
    CHECK(json_is_false(json_object_get(r, "owner_live")),
          "the failed rank's object has no live owner any more");
    json_decref(r);

    snprintf(path, sizeof(path), "/v1/processes/%s/objects/o.at2/state", pid);
    st = req("PUT", path, "{\"state\": \"migrated\", \"owner\": 1, \"key\": \"AQID\", "
             "\"view\": 1}", &r);
    CHECK(st == 200 && json_integer_value(json_object_get(r, "owner")) == 1 &&
              json_integer_value(json_object_get(r, "view")) == 1 &&
              json_is_true(json_object_get(r, "owner_live")),
          "state migrated: the entry follows the object to rank 1, view 1, live (%ld)", st);
    json_decref(r);
    st = req("PUT", path, "{\"state\": \"migrated\", \"owner\": 9, \"key\": \"AQID\", "
             "\"view\": 1}", NULL);
    CHECK(st == 400, "migrated to a rank out of range: 400 (%ld)", st);

    snprintf(path, sizeof(path), "/v1/processes/%s/view", pid);
    req("GET", path, NULL, &r);
    {
        long long gen = json_integer_value(json_object_get(r, "gen"));
        json_decref(r);
        snprintf(path, sizeof(path), "/v1/processes/%s/views/ack", pid);
        st = req("POST", path, "{\"view\": 1, \"rank\": 3}", &r);
        CHECK(st == 200 && !json_object_get(r, "pending") &&
                  json_integer_value(json_object_get(r, "number")) == 1 &&
                  strcmp(ranks_of(json_object_get(r, "members"), b1, sizeof(b1)), "0,1") == 0,
              "the leaving rank acknowledges last: view 1 = {%s} is published (%ld)", b1, st);
        json_decref(r);
        snprintf(path, sizeof(path), "/v1/processes/%s/view?since=%lld&timeout_ms=5000", pid,
                 gen);
        double t = now_s();
        st = req("GET", path, NULL, &r);
        CHECK(st == 200 && json_integer_value(json_object_get(r, "number")) == 1 &&
                  now_s() - t < 4,
              "a long poll since the generation before returns the new view at once");
        json_decref(r);
    }
    snprintf(path, sizeof(path), "/v1/processes/%s/sessions", pid);
    req("GET", path, NULL, &r);
    CHECK(json_array_size(json_object_get(r, "sessions")) == 2,
          "the sessions of the failed and the leaving rank are gone (%zu left)",
          json_array_size(json_object_get(r, "sessions")));
    json_decref(r);
    snprintf(path, sizeof(path), "/v1/processes/%s/fence", pid);
    st = req("POST", path, "{\"name\": \"f1\", \"rank\": 0, \"timeout_ms\": 100}", NULL);
    CHECK(st == 504, "a fence waits for the view's 2 members: rank 0 alone times out (%ld)", st);
    st = req("POST", path, "{\"name\": \"f1\", \"rank\": 1, \"timeout_ms\": 5000}", &r);
    CHECK(st == 200 && json_integer_value(json_object_get(r, "size")) == 2,
          "rank 1 arrives: the fence of 2 completes (%ld)", st);
    json_decref(r);
    snprintf(path, sizeof(path), "/v1/processes/%s/views", pid);
    st = req("POST", path, "{\"leave\": [3]}", NULL);
    CHECK(st == 409, "a rank that left cannot leave again: 409 (%ld)", st);
    st = req("POST", path, "{\"leave\": [0, 1]}", NULL);
    CHECK(st == 409, "no change may leave no member: 409 (%ld)", st);
    snprintf(path, sizeof(path), "/v1/processes/%s/runs", pid);
    req("DELETE", "/v1/processes/gv-proto/sessions", NULL, NULL);
    st = req("POST", path, "{}", NULL);
    snprintf(path, sizeof(path), "/v1/processes/%s/view", pid);
    req("GET", path, NULL, &r);
    CHECK(st == 200 && json_integer_value(json_object_get(r, "number")) == 0 &&
              json_array_size(json_object_get(r, "members")) == 4,
          "the next run starts in view 0 of all 4 ranks again");
    json_decref(r);
    req("DELETE", "/v1/processes/gv-proto", NULL, NULL);
#undef CHECK
    return bad;
}

/* The join step driven by hand on a process of 2 ranks: a joiner is
 * registered beyond the starting size, acknowledges last, then counts at a
 * fence and as an owner; it leaves again; a joiner that dies is dropped. */
static int run_join_protocol(void)
{
    char path[160], b1[64], b2[64];
    const char *pid = "gv-join";
    json_t *r = NULL, *pend;
    long st;
    int bad = 0;

#define CHECK(cond, ...) do { int c_ = (cond); tap_line(c_, __VA_ARGS__); bad |= !c_; } while (0)
#define P(fmt) (snprintf(path, sizeof(path), "/v1/processes/%s" fmt, pid), path)
    st = req("POST", "/v1/processes", "{\"size\": 2, \"id\": \"gv-join\"}", NULL);
    CHECK(st == 201, "join: a process of 2 ranks (%ld)", st);
    bad |= req("POST", P("/sessions"), "{\"rank\": 0, \"address\": \"AAAA\"}", NULL) != 201;
    bad |= req("POST", P("/sessions"), "{\"rank\": 1, \"address\": \"AAAA\"}", NULL) != 201;
    st = req("POST", P("/sessions"), "{\"rank\": 2, \"address\": \"AAAA\"}", NULL);
    CHECK(st == 400, "join: rank 2 cannot register before its join is announced (%ld)", st);

    st = req("POST", P("/views"), "{\"join\": [2]}", &r);
    pend = json_object_get(r, "pending");
    CHECK(st == 202 && json_integer_value(json_object_get(pend, "number")) == 1 &&
              strcmp(ranks_of(json_object_get(pend, "members"), b1, sizeof(b1)), "0,1,2") == 0 &&
              strcmp(ranks_of(json_object_get(pend, "joining"), b2, sizeof(b2)), "2") == 0,
          "join: announce rank 2; view 1 will be {%s}, joining {%s} (%ld)", b1, b2, st);
    json_decref(r);
    st = req("POST", P("/views"), "{\"join\": [3]}", NULL);
    CHECK(st == 409, "join: a second join while one is under way: 409 (%ld)", st);
    st = req("POST", P("/sessions"), "{\"rank\": 2, \"address\": \"AAAA\"}", NULL);
    CHECK(st == 201, "join: the joiner registers its session beyond the starting size (%ld)",
          st);
    st = req("POST", P("/sessions"), "{\"rank\": 3, \"address\": \"AAAA\"}", NULL);
    CHECK(st == 400, "join: a rank neither started nor joining cannot register (%ld)", st);
    st = req("POST", P("/views/ack"), "{\"view\": 1, \"rank\": 2}", NULL);
    CHECK(st == 409, "join: the joiner acknowledges before the members connected: 409 (%ld)",
          st);
    st = req("POST", P("/views/report"), "{\"view\": 1, \"rank\": 2, \"rounds\": 0}", NULL);
    CHECK(st == 409, "join: the joiner has no exchanges of view 0 to report: 409 (%ld)", st);
    req("POST", P("/views/report"), "{\"view\": 1, \"rank\": 0, \"rounds\": 3}", NULL);
    st = req("POST", P("/views/report"), "{\"view\": 1, \"rank\": 1, \"rounds\": 3}", &r);
    CHECK(st == 200 && json_integer_value(json_object_get(json_object_get(r, "pending"),
                                                          "target")) == 3,
          "join: both members report 3 exchanges: target 3 (%ld)", st);
    json_decref(r);
    req("POST", P("/views/ack"), "{\"view\": 1, \"rank\": 0}", NULL);
    st = req("POST", P("/views/ack"), "{\"view\": 1, \"rank\": 1}", &r);
    CHECK(st == 200 && json_object_get(r, "pending") &&
              json_integer_value(json_object_get(r, "number")) == 0,
          "join: the members acknowledge: still view 0 (%ld)", st);
    json_decref(r);
    st = req("POST", P("/views/ack"), "{\"view\": 1, \"rank\": 2}", &r);
    CHECK(st == 200 && !json_object_get(r, "pending") &&
              json_integer_value(json_object_get(r, "number")) == 1 &&
              strcmp(ranks_of(json_object_get(r, "members"), b1, sizeof(b1)), "0,1,2") == 0,
          "join: the joiner acknowledges last: view 1 = {%s} is published (%ld)", b1, st);
    json_decref(r);

    st = req("POST", P("/objects"), "{\"name\": \"o.at2\", \"owner\": 2, \"size\": 64, "
             "\"key\": \"AAAA\"}", NULL);
    CHECK(st == 201, "join: an object entry owned by the joined rank (%ld)", st);
    st = req("POST", P("/fence"), "{\"name\": \"f\", \"rank\": 0, \"timeout_ms\": 100}",
             NULL);
    req("POST", P("/fence"), "{\"name\": \"f\", \"rank\": 1, \"timeout_ms\": 100}", NULL);
    CHECK(st == 504, "join: a fence waits for the joined rank too (%ld)", st);
    st = req("POST", P("/fence"), "{\"name\": \"f\", \"rank\": 2, \"timeout_ms\": 5000}",
             &r);
    CHECK(st == 200 && json_integer_value(json_object_get(r, "size")) == 3,
          "join: the joined rank arrives: the fence of 3 completes (%ld)", st);
    json_decref(r);

    st = req("POST", P("/views"), "{\"leave\": [2]}", NULL);
    req("POST", P("/views/ack"), "{\"view\": 2, \"rank\": 0}", NULL);
    req("POST", P("/views/ack"), "{\"view\": 2, \"rank\": 1}", NULL);
    req("POST", P("/views/ack"), "{\"view\": 2, \"rank\": 2}", &r);
    CHECK(st == 202 && json_integer_value(json_object_get(r, "number")) == 2 &&
              strcmp(ranks_of(json_object_get(r, "members"), b1, sizeof(b1)), "0,1") == 0,
          "join then leave: the joined rank leaves, view 2 = {%s}", b1);
    json_decref(r);

    st = req("POST", P("/views"), "{\"join\": [3]}", NULL);
    req("POST", P("/views"), "{\"failed\": [3]}", &r);
    pend = json_object_get(r, "pending");
    CHECK(st == 202 && strcmp(ranks_of(json_object_get(pend, "expect"), b1, sizeof(b1)),
                              "0,1") == 0 && json_array_size(json_object_get(pend, "joining")) == 0,
          "join: a joiner that dies is dropped from the change (awaited {%s})", b1);
    json_decref(r);
    req("POST", P("/views/ack"), "{\"view\": 3, \"rank\": 0}", NULL);
    req("POST", P("/views/ack"), "{\"view\": 3, \"rank\": 1}", &r);
    CHECK(json_integer_value(json_object_get(r, "number")) == 3 &&
              strcmp(ranks_of(json_object_get(r, "members"), b1, sizeof(b1)), "0,1") == 0,
          "join: the members acknowledge, view 3 = {%s}", b1);
    json_decref(r);
    req("DELETE", "/v1/processes/gv-join", NULL, NULL);
#undef P
#undef CHECK
    return bad;
}

int main(int argc, char **argv)
{
    int rc, bad;

    if (argc < 2)
        return fprintf(stderr, "usage: gmem_view kill|leave|leave2|routes|protocol\n"), 2;
    rc = praas_init();
    if (rc)
        return fprintf(stderr, "praas_init: %s\n", praas_errmsg()), 1;
    praas_rank(&rank);
    praas_size(&size);
    if (strcmp(argv[1], "kill") == 0)
        bad = run_kill();
    else if (strcmp(argv[1], "leave") == 0)
        bad = run_leave(1);
    else if (strcmp(argv[1], "leave2") == 0)
        bad = run_leave(2);
    else if (strcmp(argv[1], "protocol") == 0)
        bad = run_protocol() | run_join_protocol();
    else
        bad = run_routes();
    rc = praas_finalize();
    if (rc) {
        fprintf(stderr, "rank %d: praas_finalize: %s\n", rank, praas_errmsg());
        bad = 1;
    }
    return bad;
}
