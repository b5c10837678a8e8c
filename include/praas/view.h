/*
 * Views: the numbered membership of a process (DESIGN.md decision 8).
 *
 * A run starts in view 0, whose members are every rank 0 .. size-1. A
 * change removes ranks: a rank asked to leave (praas-run --elastic, or
 * POST /v1/processes/{id}/views) first moves the objects it owns to the
 * ranks that stay; a rank that died (praas-run --keep-going) is removed at
 * once, and its objects come back from storage at their next access, or
 * are reported lost. Every member drains its communication with the ranks
 * that go and acknowledges; then the control plane publishes the new view,
 * and each worker runs the callback set here. A change may instead add a
 * rank (praas-run --elastic, SIGUSR1): a worker started with PRAAS_JOIN=1
 * and a rank of size or more; every member connects to it and
 * acknowledges, then it does, and its praas_init() returns once the view
 * that adds it is published.
 *
 * What does not change: the world. Ranks keep their numbers and
 * praas_size() stays the size the run started with. Objects follow the
 * view: after a change every object is reachable at a member. Windows are
 * created over the current view (praas_win_allocate and its companions
 * span the members of the view installed at creation, a rank that joined
 * included) and keep those members for their life: an operation with a
 * member that left fails or times out; free the windows of an old view
 * (they then free without a barrier, and their fences fail with
 * PRAAS_ERR_STATE). At a change the members agree on how many set-up
 * exchanges (window creations, frees, barriers, collectives) run in the
 * old view: a
 * worker that has made them waits in its next one until the new view is
 * installed. Collectives (praas/coll.h) count among those exchanges and run
 * over the members of the view installed, joiners included; roots are
 * world ranks and blocks follow the position in the sorted members.
 *
 * Thread safety: every call is thread-safe. The callback runs in a thread
 * of the library (never in a signal handler); it may call praas_view_get
 * and the object API, and must not block for long.
 */
#ifndef PRAAS_VIEW_H
#define PRAAS_VIEW_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Called after a new view is published: its number and members (sorted,
 * valid during the call). */
typedef void (*praas_view_cb_t)(uint64_t view, const int *members, int nmembers, void *arg);

/* Set (or, with cb NULL, clear) the callback of view changes. */
int praas_view_set_callback(praas_view_cb_t cb, void *arg);

/* The current view: its number in *view_p (may be NULL), its members
 * (sorted) in members[0 .. min(cap, n) - 1] (members may be NULL when cap
 * is 0), and their number n in *nmembers_p (may be NULL). */
int praas_view_get(uint64_t *view_p, int *members, int cap, int *nmembers_p);

/* Whether rank is a member of the current view, in *yes_p. A worker whose
 * rank is not (it was asked to leave) should finish and call
 * praas_finalize(). */
int praas_view_is_member(int rank, int *yes_p);

#ifdef __cplusplus
}
#endif

#endif /* PRAAS_VIEW_H */
