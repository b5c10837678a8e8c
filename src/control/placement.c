/*
 * Placement policies of the executor (executor.h): which subprocess hosts
 * a new or swapped-in session. A policy only chooses among subprocesses
 * that can take one more session; the executor enforces the cap and starts
 * subprocesses.
 */
#include <stdlib.h>
#include <string.h>

#include "control/executor.h"
#include "core/common.h"

/* Round-robin: the candidates in turn, so sessions spread over the
 * subprocesses that have room; a new subprocess only when all are full. */
struct cp_rr {
    unsigned long turn;
};

static void *cp_rr_create(void)
{
    return calloc(1, sizeof(struct cp_rr));
}

static void cp_rr_destroy(void *state)
{
    free(state);
}

static int cp_rr_choose(void *state, struct cp_sub *const *cands, size_t n)
{
    struct cp_rr *rr = state;

    (void)cands;
    if (rr == NULL)
        return 0;
    return (int)(rr->turn++ % n);
}

const struct cp_placement_ops cp_placement_round_robin = {
    .name = "round-robin",
    .create = cp_rr_create,
    .destroy = cp_rr_destroy,
    .choose = cp_rr_choose,
};

/* Spread: a subprocess of its own for every session (isolation first). */
static int cp_spread_choose(void *state, struct cp_sub *const *cands, size_t n)
{
    (void)state;
    for (size_t i = 0; i < n; i++)
        if (cands[i]->nsids == 0)
            return (int)i;
    return -1;
}

const struct cp_placement_ops cp_placement_spread = {
    .name = "spread",
    .choose = cp_spread_choose,
};

const struct cp_placement_ops *cp_placement_find(const char *name)
{
    static const struct cp_placement_ops *const all[] = {&cp_placement_round_robin,
                                                         &cp_placement_spread};

    for (size_t i = 0; i < PRAAS_ARRAY_SIZE(all); i++)
        if (strcmp(all[i]->name, name) == 0)
            return all[i];
    return NULL;
}
