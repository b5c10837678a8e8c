/*
 * Global memory objects from every rank (launched, TAP): allocation here,
 * at another rank and anywhere; open from every other rank; put/get bytes;
 * non-blocking transfers with flush; fetch-add from every rank to one
 * element (exact total); compare-swap with exactly one winner; listing by
 * prefix; bad input (unknown name, name too long, size 0, offset past the
 * end, misaligned atomic, taken name, rank past the view) with nothing
 * changed; free, then open -> PRAAS_ERR_NOT_FOUND.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "testsuite/lib/launched.h"

#define OBJ_SIZE 4096
#define ADDS 200

static unsigned char pattern(int owner, int kind, size_t i)
{
    return (unsigned char)(owner * 31 + kind * 7 + i * 13 + 1);
}

static int check_bytes(praas_obj_t obj, int owner, int kind)
{
    unsigned char buf[OBJ_SIZE];
    size_t size = 0;

    if (!lt_report(praas_obj_size(obj, &size), "praas_obj_size") || size != OBJ_SIZE)
        return 0;
    if (!lt_report(praas_obj_get(obj, 0, buf, sizeof(buf)), "praas_obj_get"))
        return 0;
    for (size_t i = 0; i < sizeof(buf); i++)
        if (buf[i] != pattern(owner, kind, i)) {
            fprintf(stderr, "rank %d: byte %zu of object of rank %d kind %d is %u, not %u\n",
                    lt_rank, i, owner, kind, buf[i], pattern(owner, kind, i));
            return 0;
        }
    return 1;
}

static int count_cb(const praas_obj_info_t *info, void *arg)
{
    int *n = arg;
    if (info->size == OBJ_SIZE && info->owner >= 0)
        (*n)++;
    return 0;
}

static const char *const kinds[3] = {"here", "at", "any"};

int main(void)
{
    praas_obj_t mine[3] = {0}, counter = NULL, probe = NULL;
    char name[64], longname[PRAAS_OBJ_NAME_MAX + 2];
    unsigned char buf[OBJ_SIZE], before[OBJ_SIZE];
    uint64_t old = 0, total = 0;
    int ok, rc, n;

    lt_init();

    /* ---- allocation in three places, written by their allocator ---- */
    ok = 1;
    for (int k = 0; k < 3; k++) {
        int where = k == 0 ? PRAAS_OBJ_HERE : k == 1 ? (lt_rank + 1) % lt_size : PRAAS_OBJ_ANY;
        snprintf(name, sizeof(name), "%s.%d", kinds[k], lt_rank);
        ok &= lt_report(praas_obj_alloc(name, OBJ_SIZE, where, &mine[k]), name);
        for (size_t i = 0; ok && i < OBJ_SIZE; i++)
            buf[i] = pattern(lt_rank, k, i);
        ok = ok && lt_report(praas_obj_put(mine[k], 0, buf, OBJ_SIZE), "praas_obj_put");
    }
    lt_check(ok, "alloc here, at rank r+1 and anywhere, then put 4 KiB");

    ok = 1;
    for (int k = 0; k < 3; k++)
        ok &= check_bytes(mine[k], lt_rank, k);
    lt_check(ok, "the allocator reads its bytes back");

    /* ---- every other rank opens and reads ---- */
    ok = 1;
    for (int s = 0; s < lt_size; s++) {
        if (s == lt_rank)
            continue;
        for (int k = 0; k < 3; k++) {
            praas_obj_t obj;
            snprintf(name, sizeof(name), "%s.%d", kinds[k], s);
            if (!lt_report(praas_obj_open(name, &obj), name)) {
                ok = 0;
                continue;
            }
            ok &= check_bytes(obj, s, k);
            ok &= lt_report(praas_obj_close(&obj), "praas_obj_close") && obj == NULL;
        }
    }
    lt_check(ok, "open every other rank's objects and read the bytes");

    /* ---- non-blocking transfers ---- */
    ok = 1;
    {
        unsigned char out[OBJ_SIZE], in[OBJ_SIZE];
        for (size_t i = 0; i < OBJ_SIZE; i++)
            out[i] = (unsigned char)(i * 5 + (size_t)lt_rank);
        for (size_t off = 0; off < OBJ_SIZE && ok; off += 512)
            ok &= lt_report(praas_obj_iput(mine[1], off, out + off, 512), "praas_obj_iput");
        ok = ok && lt_report(praas_obj_flush(mine[1]), "praas_obj_flush");
        memset(in, 0, sizeof(in));
        for (size_t off = 0; off < OBJ_SIZE && ok; off += 1024)
            ok &= lt_report(praas_obj_iget(mine[1], off, in + off, 1024), "praas_obj_iget");
        ok = ok && lt_report(praas_obj_flush(mine[1]), "praas_obj_flush");
        ok = ok && memcmp(in, out, sizeof(in)) == 0;
        /* Put the pattern back for the checks below. */
        for (size_t i = 0; i < OBJ_SIZE; i++)
            buf[i] = pattern(lt_rank, 1, i);
        ok = ok && lt_report(praas_obj_put(mine[1], 0, buf, OBJ_SIZE), "praas_obj_put");
    }
    lt_check(ok, "iput in 8 pieces, flush, iget in 4 pieces, flush: the same bytes");

    /* ---- atomics from every rank on one object ---- */
    if (lt_rank == 0)
        lt_report(praas_obj_alloc("counter", 64, PRAAS_OBJ_ANY, &counter), "alloc counter");
    lt_check(1, "rank 0 allocates the counter");
    ok = lt_rank == 0 ? counter != NULL : lt_report(praas_obj_open("counter", &counter), "open");
    for (int i = 0; ok && i < ADDS; i++)
        ok = lt_report(praas_obj_fetch_add(counter, 8, (uint64_t)lt_rank + 1, NULL), "fetch_add");
    lt_check(ok, "%d fetch_adds of rank+1 from every rank", ADDS);
    ok = lt_report(praas_obj_get(counter, 8, &total, 8), "get total");
    lt_check(ok && total == (uint64_t)ADDS * (uint64_t)lt_size * (uint64_t)(lt_size + 1) / 2,
             "the total is exactly %d * n(n+1)/2 (got %llu)", ADDS, (unsigned long long)total);
    ok = lt_report(praas_obj_cswap(counter, 16, 0, (uint64_t)lt_rank + 1, &old), "cswap");
    {
        unsigned char won = ok && old == 0, *all = malloc((size_t)lt_size);
        int winners = 0, winner = -1;
        uint64_t v = 0;
        core_exchange(&won, 1, all, LT_TIMEOUT_MS);
        for (int r = 0; r < lt_size; r++)
            if (all[r]) {
                winners++;
                winner = r;
            }
        free(all);
        ok = ok && lt_report(praas_obj_get(counter, 16, &v, 8), "get cswap");
        lt_check(ok && winners == 1 && v == (uint64_t)winner + 1,
                 "cswap(0 -> rank+1) from every rank: exactly one winner, whose value stays");
    }

    /* ---- listing ---- */
    n = 0;
    ok = lt_report(praas_obj_list("here.", count_cb, &n), "list here.");
    lt_check(ok && n == lt_size, "list 'here.' finds %d objects (got %d)", lt_size, n);
    n = 0;
    ok = lt_report(praas_obj_list("", count_cb, &n), "list all");
    lt_check(ok && n == 3 * lt_size, "list '' finds every 4 KiB object (got %d)", n);
    n = 0;
    ok = lt_report(praas_obj_list("zz", count_cb, &n), "list zz");
    lt_check(ok && n == 0, "list 'zz' finds none");

    /* ---- bad input ---- */
    rc = praas_obj_open("no.such.object", &probe);
    lt_check(rc == PRAAS_ERR_NOT_FOUND && probe == NULL && strstr(praas_errmsg(), "no.such"),
             "open of an unknown name: PRAAS_ERR_NOT_FOUND naming it");
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    rc = praas_obj_alloc(longname, 8, PRAAS_OBJ_HERE, &probe);
    lt_check(rc == PRAAS_ERR_INVALID && strstr(praas_errmsg(), "PRAAS_OBJ_NAME_MAX"),
             "a name of %d characters: PRAAS_ERR_INVALID", PRAAS_OBJ_NAME_MAX + 1);
    rc = praas_obj_alloc("bad/name", 8, PRAAS_OBJ_HERE, &probe);
    lt_check(rc == PRAAS_ERR_INVALID, "a name with '/': PRAAS_ERR_INVALID");
    snprintf(name, sizeof(name), "zero.%d", lt_rank);
    rc = praas_obj_alloc(name, 0, PRAAS_OBJ_HERE, &probe);
    lt_check(rc == PRAAS_ERR_INVALID && praas_obj_open(name, &probe) == PRAAS_ERR_NOT_FOUND,
             "size 0: PRAAS_ERR_INVALID, and nothing is created");
    rc = praas_obj_alloc(name, (size_t)-8, PRAAS_OBJ_HERE, &probe);
    lt_check(rc == PRAAS_ERR_INVALID, "a negative size: PRAAS_ERR_INVALID");
    snprintf(name, sizeof(name), "here.%d", lt_rank);
    rc = praas_obj_alloc(name, 8, PRAAS_OBJ_ANY, &probe);
    lt_check(rc == PRAAS_ERR_EXISTS && probe == NULL, "a taken name: PRAAS_ERR_EXISTS");
    rc = praas_obj_alloc("past.view", 8, lt_size, &probe);
    lt_check(rc == PRAAS_ERR_RANGE, "rank %d past the view: PRAAS_ERR_RANGE", lt_size);

    ok = lt_report(praas_obj_get(mine[0], 0, before, OBJ_SIZE), "get before");
    memset(buf, 0xee, sizeof(buf));
    rc = praas_obj_put(mine[0], OBJ_SIZE - 4, buf, 8);
    ok = ok && rc == PRAAS_ERR_RANGE && strstr(praas_errmsg(), "past the end");
    rc = praas_obj_put(mine[0], OBJ_SIZE + 1, buf, 0);
    ok = ok && rc == PRAAS_ERR_RANGE;
    rc = praas_obj_get(mine[0], 1, buf, OBJ_SIZE);
    ok = ok && rc == PRAAS_ERR_RANGE;
    rc = praas_obj_fetch_add(mine[0], OBJ_SIZE, 1, NULL);
    ok = ok && rc == PRAAS_ERR_RANGE;
    rc = praas_obj_fetch_add(mine[0], 4, 1, NULL);
    ok = ok && rc == PRAAS_ERR_INVALID;
    ok = ok && lt_report(praas_obj_get(mine[0], 0, buf, OBJ_SIZE), "get after");
    lt_check(ok && memcmp(before, buf, OBJ_SIZE) == 0,
             "offsets past the end (RANGE) and a misaligned atomic (INVALID) change nothing");

    /* ---- free, then open ---- */
    lt_report(praas_obj_close(&counter), "close counter");
    lt_check(1, "every other handle is closed");
    ok = 1;
    for (int k = 0; k < 3; k++)
        ok &= lt_report(praas_obj_free(&mine[k]), "praas_obj_free") && mine[k] == NULL;
    if (lt_rank == 0) {
        praas_obj_t c;
        ok &= lt_report(praas_obj_open("counter", &c), "open counter") &&
              lt_report(praas_obj_free(&c), "free counter");
    }
    lt_check(ok, "free every object");
    ok = 1;
    for (int s = 0; s < lt_size; s++)
        for (int k = 0; k < 3; k++) {
            snprintf(name, sizeof(name), "%s.%d", kinds[k], s);
            ok &= praas_obj_open(name, &probe) == PRAAS_ERR_NOT_FOUND;
        }
    ok &= praas_obj_open("counter", &probe) == PRAAS_ERR_NOT_FOUND;
    n = 0;
    ok &= praas_obj_list("", count_cb, &n) == 0 && n == 0;
    lt_check(ok, "after free, open gives PRAAS_ERR_NOT_FOUND and the list is empty");
    return lt_finish();
}
