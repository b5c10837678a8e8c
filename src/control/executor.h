/*
 * The executor: the subprocesses (praas-process) that host serverless
 * sessions, started on this machine with fork/exec (posix_spawn), one per
 * process (tenant) and function library, each hosting up to a cap of live
 * sessions. A pluggable placement policy picks the subprocess of a new or
 * swapped-in session; round-robin is the default.
 *
 * The executor knows subprocesses and which live sessions each hosts; the
 * session records (state, storage key, usage) are the routes' business
 * (sessions.c), kept in the store. Every function is thread-safe.
 */
#ifndef PRAAS_CONTROL_EXECUTOR_H
#define PRAAS_CONTROL_EXECUTOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct rt_conn;
struct cp_exec;

/* One subprocess. Routes hold a reference (cp_exec_get / cp_exec_place)
 * while they talk to it, so it is not freed under them; the fields below
 * are fixed once it runs, except as noted. */
struct cp_sub {
    char name[48];      /* "sp-<daemon tag>-<n>", unique across daemons */
    char proc[72];      /* the process whose sessions it hosts */
    char *library;      /* the function library it loaded */
    char endpoint[80];  /* "HOST:PORT" of its data plane */
    pid_t pid;
    int rank;           /* its rank in the view of its process; -1: a single worker */
    int stdin_fd;       /* closing it asks it to exit (--exit-on-stdin-eof) */
    int stdout_fd;      /* kept open so that it never writes into a closed pipe */
    struct rt_conn *conn;
    /* A second connection for the sweeper's pings (cp_exec_ping): the
     * subprocess serves each connection on its own thread, so a ping is
     * not queued behind a long swap on conn. */
    struct rt_conn *ping_conn;
    /* Guarded by the executor's lock: */
    char (*sids)[24];   /* the live sessions it hosts */
    size_t nsids, capsids;
    unsigned refs;
    int dead;           /* exited, or killed */
    int idle;           /* stopped for want of sessions (alive when it goes) */
    uint64_t empty_since_ns; /* when nsids became 0 */
    unsigned missed;    /* pings in a row without a reply in time */
    uint64_t next_ping_ns;
};

/* A placement policy: which subprocess hosts the next session. */
struct cp_placement_ops {
    const char *name;
    /* Per-executor state (may return NULL); freed by destroy. */
    void *(*create)(void);
    void (*destroy)(void *state);
    /* Choose among the n (>= 1) candidates (alive, serving the process,
     * below the cap of sessions) the one that hosts a new session: return
     * its index, or -1 to start a new subprocess instead. Called under the
     * executor's lock: it must not block. */
    int (*choose)(void *state, struct cp_sub *const *cands, size_t n);
};

/* Round-robin over the candidates; starts a subprocess only when every
 * one is full (placement.c). */
extern const struct cp_placement_ops cp_placement_round_robin;
/* A subprocess of its own for every session (isolation first). */
extern const struct cp_placement_ops cp_placement_spread;

/* Look a policy up by name ("round-robin", "spread"); NULL if unknown. */
const struct cp_placement_ops *cp_placement_find(const char *name);

/* The view of a process (doc/invoke.md, "The praas API in functions"):
 * every subprocess of a process is a rank of it that joined its view, so
 * that functions in different subprocesses reach each other's objects.
 * The hooks are members.c's; the executor calls them without its lock.
 * NULL join: subprocesses are single workers of their own views. */
struct cp_exec_member_ops {
    /* Before subprocess sub of process proc starts: announce the join of a
     * new rank of proc, set *rank_p to it and url (urlsize bytes) to the
     * control plane's URL. On an error the subprocess starts as a single
     * worker (logged). */
    int (*join)(void *arg, const char *proc, const char *sub, int *rank_p, char *url,
                size_t urlsize);
    /* After it started (ok 1: it printed its endpoint) or failed to (ok 0).
     * Returns 1 when rank is a member of proc's view, else 0 (the hook
     * reported it failed: the subprocess is then a single worker). */
    int (*started)(void *arg, const char *proc, int rank, int ok);
    /* While it starts, every few milliseconds until it returns 1: whether
     * it has registered (the hook then tells the members to connect). */
    int (*starting)(void *arg, const char *proc, int rank);
    /* dead 0: before a subprocess without sessions is stopped, it leaves
     * the view (its objects move to the members that stay; the last member
     * does not leave: praas_finalize persists its objects). dead 1: after
     * it stopped, died or was killed, a rank still in the view is reported
     * failed, so that no member waits for it. Bounded. */
    void (*leave)(void *arg, const char *proc, int rank, int dead);
    void *arg;
    int max_ranks;      /* PRAAS_MAX_WORKERS of a subprocess */
};

struct cp_exec_opts {
    const char *process_bin;   /* praas-process; looked up in PATH if no '/' */
    const char *storage;       /* the storage URL given to every subprocess */
    int sessions_per_sub;      /* cap of live sessions per subprocess */
    int grace_ms;              /* stop a subprocess this long after its last session */
    int start_timeout_ms;      /* for its "endpoint" line and the connection */
    size_t max_payload;        /* passed as --max-payload */
    const struct cp_placement_ops *placement;
    /* Hung subprocesses (cp_exec_ping): ping every ping_interval_ms (0: never),
     * wait ping_timeout_ms for each reply, kill after ping_misses misses. */
    int ping_interval_ms;
    int ping_timeout_ms;
    int ping_misses;
    struct cp_exec_member_ops member;
};

/* Create an executor (no subprocess yet). Returns 0 or PRAAS_ERR_NOMEM. */
int cp_exec_open(const struct cp_exec_opts *opts, struct cp_exec **ex_p);

/* Kill every subprocess (connections break, so calls in flight fail with
 * PRAAS_ERR_PEER at once), then, with cp_exec_close, free everything. */
void cp_exec_kill(struct cp_exec *ex);
void cp_exec_close(struct cp_exec *ex);

/* Place live session sid of process proc (library lib): pick a subprocess
 * with the policy or start one, count sid in it and return it referenced.
 * prefetch (NULL: none) is the storage key of sid's swapped state: a
 * subprocess started for it gets "--prefetch KEY" and reads the state
 * while it initializes, so that the SWAP_IN that follows finds it read
 * (when the program rejects --prefetch with a usage error, exit status 2,
 * it is started again without, and never given it again).
 * PRAAS_ERR_IO/PRAAS_ERR_TIMEOUT naming why a subprocess could not start. */
int cp_exec_place(struct cp_exec *ex, const char *proc, const char *lib, const char *sid,
                  const char *prefetch, struct cp_sub **sub_p);

/* sid no longer lives in sub (deleted, swapped out, failed to start). */
void cp_exec_unplace(struct cp_exec *ex, struct cp_sub *sub, const char *sid);

/* The running subprocess called name, referenced; PRAAS_ERR_NOT_FOUND when
 * there is none (it died, was stopped, or belongs to another daemon). */
int cp_exec_get(struct cp_exec *ex, const char *name, struct cp_sub **sub_p);
void cp_exec_put(struct cp_exec *ex, struct cp_sub *sub);

/* A call to sub failed with PRAAS_ERR_PEER: check now whether it exited.
 * Returns 1 when it is dead. */
int cp_exec_check(struct cp_exec *ex, struct cp_sub *sub);

/* Called by cp_exec_sweep for each live session of a subprocess that died. */
typedef void (*cp_exec_lost_fn)(void *arg, const char *proc, const char *sid,
                                const char *subname);

/* Reap subprocesses that exited (lost is called for each of their live
 * sessions, without the executor's lock) and stop those without live
 * sessions for grace_ms. */
void cp_exec_sweep(struct cp_exec *ex, cp_exec_lost_fn lost, void *arg);

/* Ping the subprocesses due for it (every ping_interval_ms) on their ping
 * connections, without the executor's lock; one that misses ping_misses
 * pings in a row is hung: it is killed (SIGKILL) and marked dead, so the
 * next cp_exec_sweep reports its live sessions lost, and calls in flight
 * to it fail with PRAAS_ERR_PEER. Called by one thread (the sweeper). */
void cp_exec_ping(struct cp_exec *ex);

/* Whether the subprocess program accepts --prefetch: 1 yes or not known
 * yet, 0 when it was found to reject it. */
int cp_exec_prefetch_ok(struct cp_exec *ex);

/* A snapshot of the live sessions: *n_p entries of (proc, sid, sub name,
 * and the pings its subprocess missed lately: one that misses some may be
 * hung, and a request to it would wait its whole timeout). */
struct cp_exec_sess {
    char proc[72];
    char sid[24];
    char sub[48];
    unsigned missed;
};
int cp_exec_sessions(struct cp_exec *ex, struct cp_exec_sess **list_p, size_t *n_p);

/* The number of running subprocesses, and of those serving proc (NULL:
 * all). */
size_t cp_exec_count(struct cp_exec *ex, const char *proc);

#endif /* PRAAS_CONTROL_EXECUTOR_H */
