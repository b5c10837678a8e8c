/*
 * ring: pass a message around a ring of workers with one-sided puts.
 *
 *   praas-run -n 4 ./ring [ROUNDS]
 *
 * Each worker allocates a window of two message slots. In step k each
 * worker puts the message it holds into slot k % 2 of its right
 * neighbour's window and a fence ends the step; the other slot is the one
 * the neighbour may fill in the next step while this worker still reads,
 * so reads and remote writes never touch the same slot in one epoch; after size steps every message is back home, having
 * gathered one stamp per worker on the way. Each worker prints what it
 * received at each step. Uses the public API only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <praas.h>

typedef struct message {
    int origin;          /* the worker that started it */
    int hops;            /* workers it has visited */
    long stamps;         /* sum of (rank + 1) of every visited worker */
    char text[48];
} message_t;

static int check(int rc, const char *what)
{
    if (rc) {
        fprintf(stderr, "ring: %s: %s (%s)\n", what, praas_strerror(rc), praas_errmsg());
        exit(1);
    }
    return 0;
}

int main(int argc, char **argv)
{
    int rank, size, rounds = argc > 1 ? atoi(argv[1]) : 1;
    message_t *inbox, held;
    praas_win_t win;
    long expect;

    check(praas_init(), "praas_init");
    praas_rank(&rank);
    praas_size(&size);
    check(praas_win_allocate(2 * sizeof(message_t), sizeof(message_t), &inbox, &win),
          "praas_win_allocate");
    memset(&held, 0, sizeof(held));
    held.origin = rank;
    held.stamps = rank + 1;
    snprintf(held.text, sizeof(held.text), "hello from worker %d", rank);
    check(praas_win_fence(PRAAS_MODE_NOPRECEDE, win), "fence");

    for (int step = 1; step <= rounds * size; step++) {
        check(praas_put(&held, sizeof(held), PRAAS_BYTE, (rank + 1) % size, step % 2, win),
              "put");
        check(praas_win_fence(0, win), "fence");
        held = inbox[step % 2];
        held.hops++;
        held.stamps += rank + 1;
        printf("worker %d, step %d: received \"%s\" (started at worker %d, %d hops)\n", rank,
               step, held.text, held.origin, held.hops);
    }
    check(praas_win_fence(PRAAS_MODE_NOSUCCEED, win), "fence");
    expect = rank + 1 + (long)rounds * size * (size + 1) / 2;
    printf("worker %d: my message came home after %d hops with stamps %ld (expected %ld): %s\n",
           rank, held.hops, held.stamps, expect,
           held.origin == rank && held.stamps == expect ? "ok" : "WRONG");
    fflush(stdout);
    check(praas_win_free(&win), "praas_win_free");
    check(praas_finalize(), "praas_finalize");
    return held.origin == rank && held.stamps == expect ? 0 : 1;
}
