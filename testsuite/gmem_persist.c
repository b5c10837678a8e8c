/*
 * The worker program of testsuite/gmem_persist.sh: run under praas-run
 * --process, it writes an object in one run and checks it in a later one.
 *
 *   gmem_persist write NAME SIZE SEED persist|exit   the last rank allocates
 *       NAME here and writes SIZE bytes made from SEED; "persist" calls
 *       praas_obj_persist, "exit" leaves it to praas_finalize
 *   gmem_persist read NAME SIZE SEED    every rank opens NAME and checks it
 *   gmem_persist lost NAME              every rank's open must fail with
 *       PRAAS_ERR_PEER naming the loss; rank 0 prints the message
 * Exit status 0 when every check of this rank passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <praas.h>

static unsigned char byte_at(unsigned long seed, size_t i)
{
    uint64_t x = (seed + i) * 0x9e3779b97f4a7c15ull;
    return (unsigned char)(x >> 56);
}

static int fail(int rank, const char *what, int rc)
{
    fprintf(stderr, "rank %d: %s: %s (%s)\n", rank, what, praas_err_name(rc), praas_errmsg());
    return 1;
}

int main(int argc, char **argv)
{
    int rank, size, rc, bad = 0;
    praas_obj_t obj = NULL;
    unsigned char *buf = NULL;
    size_t len = 0, got = 0;
    unsigned long seed = 0;

    if (argc < 3 || (strcmp(argv[1], "lost") != 0 && argc < 5)) {
        fprintf(stderr, "usage: gmem_persist write|read|lost NAME [SIZE SEED [persist|exit]]\n");
        return 2;
    }
    if (argc >= 5) {
        len = strtoul(argv[3], NULL, 0);
        seed = strtoul(argv[4], NULL, 0);
        buf = malloc(len);
        if (!buf)
            return 2;
    }
    rc = praas_init();
    if (rc)
        return fail(-1, "praas_init", rc);
    praas_rank(&rank);
    praas_size(&size);

    if (strcmp(argv[1], "write") == 0) {
        if (rank == size - 1) {
            for (size_t i = 0; i < len; i++)
                buf[i] = byte_at(seed, i);
            rc = praas_obj_alloc(argv[2], len, PRAAS_OBJ_HERE, &obj);
            bad |= rc ? fail(rank, "praas_obj_alloc", rc) : 0;
            rc = bad ? 0 : praas_obj_put(obj, 0, buf, len);
            bad |= rc ? fail(rank, "praas_obj_put", rc) : 0;
            if (!bad && argc > 5 && strcmp(argv[5], "persist") == 0) {
                rc = praas_obj_persist(obj);
                bad |= rc ? fail(rank, "praas_obj_persist", rc) : 0;
                /* Written after the persist: not in the stored copy. */
                if (!bad && len)
                    bad |= praas_obj_put(obj, 0, "\xff", 1) ? 1 : 0;
            }
            if (obj)
                praas_obj_close(&obj);
        }
    } else if (strcmp(argv[1], "read") == 0) {
        rc = praas_obj_open(argv[2], &obj);
        bad |= rc ? fail(rank, "praas_obj_open", rc) : 0;
        if (!bad) {
            rc = praas_obj_size(obj, &got);
            if (rc || got != len) {
                fprintf(stderr, "rank %d: size %zu, expected %zu\n", rank, got, len);
                bad = 1;
            }
        }
        if (!bad) {
            rc = praas_obj_get(obj, 0, buf, len);
            bad |= rc ? fail(rank, "praas_obj_get", rc) : 0;
            for (size_t i = 0; !bad && i < len; i++)
                if (buf[i] != byte_at(seed, i)) {
                    fprintf(stderr, "rank %d: byte %zu is %u, expected %u\n", rank, i, buf[i],
                            byte_at(seed, i));
                    bad = 1;
                }
        }
        if (obj)
            praas_obj_close(&obj);
    } else if (strcmp(argv[1], "lost") == 0) {
        rc = praas_obj_open(argv[2], &obj);
        if (rc != PRAAS_ERR_PEER || !strstr(praas_errmsg(), "lost")) {
            fprintf(stderr, "rank %d: open of a lost object gave %s (%s)\n", rank,
                    praas_err_name(rc), praas_errmsg());
            bad = 1;
        } else if (rank == 0) {
            printf("%s\n", praas_errmsg());
        }
    }
    rc = praas_finalize();
    if (rc)
        bad |= fail(rank, "praas_finalize", rc);
    free(buf);
    return bad;
}
