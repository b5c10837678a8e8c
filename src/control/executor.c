/*
 * The executor (executor.h): starting, finding, reaping and stopping the
 * praas-process subprocesses that host serverless sessions.
 *
 * A subprocess is started with posix_spawn (no code of ours runs between
 * fork and exec in this multi-threaded daemon) with its stdin and stdout on
 * pipes: it prints "endpoint HOST:PORT" on stdout once it listens, and
 * exits when its stdin reaches end of file (--exit-on-stdin-eof), so that
 * the subprocesses of a daemon that dies do not outlive it. The daemon's
 * blocked signals (praas-control blocks SIGINT and SIGTERM to sigwait them)
 * are unblocked and SIGPIPE reset in the child.
 *
 * Locking: lock guards the table and every subprocess's mutable fields.
 * spawn_lock serializes placements, so that concurrent allocations fill a
 * fresh subprocess instead of each starting one; it is never taken under
 * lock. Nothing slow (spawning, a connection, waiting for an exit) runs
 * under lock. A subprocess leaves the table in cp_exec_sweep, once it is
 * dead and unreferenced.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control/executor.h"
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "runtime/dp.h"

extern char **environ;

#define CP_STOP_EOF_MS 1000
#define CP_STOP_WAIT_MS 3000

struct cp_exec {
    struct cp_exec_opts opts;
    char *process_bin;
    char *storage;
    char tag[9];
    pthread_mutex_t lock;
    pthread_mutex_t spawn_lock;
    struct cp_sub **subs;
    size_t nsubs, capsubs;
    void *pstate;
    unsigned next;
    int killed;
    int no_prefetch; /* the program rejected --prefetch (guarded by lock) */
};

int cp_exec_open(const struct cp_exec_opts *opts, struct cp_exec **ex_p)
{
    struct cp_exec *ex = calloc(1, sizeof(*ex));
    unsigned char r[4] = {0};

    if (ex == NULL)
        return core_err(PRAAS_ERR_NOMEM, "no memory for the executor");
    ex->opts = *opts;
    ex->process_bin = strdup(opts->process_bin);
    ex->storage = strdup(opts->storage);
    if (ex->process_bin == NULL || ex->storage == NULL) {
        free(ex->process_bin);
        free(ex->storage);
        free(ex);
        return core_err(PRAAS_ERR_NOMEM, "no memory for the executor");
    }
    if (ex->opts.placement == NULL)
        ex->opts.placement = &cp_placement_round_robin;
    /* The tag makes subprocess names of two daemons sharing a Redis store
     * differ, so a record naming another daemon's subprocess is not found
     * here (its session is lost to this daemon) rather than misread. */
    if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
        uint64_t t = core_now_ns() ^ (uint64_t)getpid();
        memcpy(r, &t, sizeof(r));
    }
    snprintf(ex->tag, sizeof(ex->tag), "%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
    pthread_mutex_init(&ex->lock, NULL);
    pthread_mutex_init(&ex->spawn_lock, NULL);
    ex->pstate = ex->opts.placement->create ? ex->opts.placement->create() : NULL;
    *ex_p = ex;
    return 0;
}

static void cp_sub_free(struct cp_sub *sub)
{
    if (sub->conn)
        rt_conn_close(sub->conn);
    if (sub->ping_conn)
        rt_conn_close(sub->ping_conn);
    if (sub->stdin_fd >= 0)
        close(sub->stdin_fd);
    if (sub->stdout_fd >= 0)
        close(sub->stdout_fd);
    free(sub->sids);
    free(sub->library);
    free(sub);
}

/* Ask a subprocess to exit and wait for it, bounded: end of its stdin
 * first (it finishes what runs and exits), SIGTERM after CP_STOP_EOF_MS,
 * SIGKILL after CP_STOP_WAIT_MS. pid 0: already reaped. Returns its wait
 * status when it exited by itself, else -1. */
static int cp_sub_stop(struct cp_sub *sub)
{
    uint64_t start = core_now_ns(), term = start + (uint64_t)CP_STOP_EOF_MS * 1000000u;
    uint64_t until = start + (uint64_t)CP_STOP_WAIT_MS * 1000000u;
    int st = -1, termed = 0;

    if (sub->stdin_fd >= 0) {
        close(sub->stdin_fd);
        sub->stdin_fd = -1;
    }
    if (sub->pid <= 0)
        return -1;
    for (unsigned i = 0;; i++) {
        pid_t r = waitpid(sub->pid, &st, WNOHANG);
        uint64_t now = core_now_ns();
        if (r < 0 && errno != EINTR)
            st = -1;
        if (r == sub->pid || (r < 0 && errno != EINTR))
            break;
        if (!termed && now >= term) {
            kill(sub->pid, SIGTERM);
            termed = 1;
        }
        if (now >= until) {
            kill(sub->pid, SIGKILL);
            while (waitpid(sub->pid, &st, 0) < 0 && errno == EINTR)
                ;
            st = -1;
            break;
        }
        usleep(i < 20 ? 1000 : 10000);
    }
    sub->pid = 0;
    return termed ? -1 : st;
}

/* Stop sub and free it; a member of its process's view leaves it first
 * when it is alive and idle, and is reported failed if still a member
 * after it stopped. */
static void cp_sub_leave(struct cp_exec *ex, struct cp_sub *s)
{
    const struct cp_exec_member_ops *mo = &ex->opts.member;

    if (s->rank >= 0 && s->idle && s->pid > 0)
        mo->leave(mo->arg, s->proc, s->rank, 0);
    cp_sub_stop(s);
    if (s->rank >= 0)
        mo->leave(mo->arg, s->proc, s->rank, 1);
    cp_sub_free(s);
}

void cp_exec_kill(struct cp_exec *ex)
{
    pthread_mutex_lock(&ex->lock);
    ex->killed = 1;
    for (size_t i = 0; i < ex->nsubs; i++) {
        struct cp_sub *sub = ex->subs[i];
        sub->dead = 1;
        sub->idle = 0; /* killed: it does not leave first */
        if (sub->pid > 0)
            kill(sub->pid, SIGKILL);
    }
    pthread_mutex_unlock(&ex->lock);
}

void cp_exec_close(struct cp_exec *ex)
{
    if (ex == NULL)
        return;
    cp_exec_kill(ex);
    for (size_t i = 0; i < ex->nsubs; i++)
        cp_sub_leave(ex, ex->subs[i]); /* killed: reported failed */
    if (ex->opts.placement->destroy)
        ex->opts.placement->destroy(ex->pstate);
    free(ex->subs);
    pthread_mutex_destroy(&ex->spawn_lock);
    pthread_mutex_destroy(&ex->lock);
    free(ex->process_bin);
    free(ex->storage);
    free(ex);
}

/* Read the "endpoint HOST:PORT" line from fd until the deadline. A
 * subprocess joining as rank (>= 0) of proc's view is watched meanwhile
 * (the member hook "starting"). */
static int cp_read_endpoint(struct cp_exec *ex, const char *proc, int rank, int fd, pid_t pid,
                            const char *bin, uint64_t until, char *ep, size_t epsize)
{
    const struct cp_exec_member_ops *mo = &ex->opts.member;
    int watch = rank >= 0 && mo->starting;
    char line[256];
    size_t len = 0;

    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        uint64_t now = core_now_ns();
        int ms, r;
        char *nl;

        if (now >= until)
            return core_err(PRAAS_ERR_TIMEOUT, "%s (pid %ld) printed no 'endpoint' line "
                            "within the start timeout", bin, (long)pid);
        if (watch && mo->starting(mo->arg, proc, rank) == 1)
            watch = 0;
        ms = (int)PRAAS_MIN((until - now) / 1000000u + 1, watch ? 5u : 1000u);
        r = poll(&pfd, 1, ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        ssize_t got = read(fd, line + len, sizeof(line) - 1 - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return core_err(PRAAS_ERR_IO, "%s (pid %ld) exited or closed its stdout before "
                            "printing its endpoint (see its messages above)", bin, (long)pid);
        len += (size_t)got;
        line[len] = '\0';
        nl = strchr(line, '\n');
        if (nl == NULL) {
            if (len == sizeof(line) - 1)
                return core_err(PRAAS_ERR_PROTOCOL, "%s printed a line longer than %zu "
                                "bytes instead of its endpoint", bin, sizeof(line) - 1);
            continue;
        }
        *nl = '\0';
        if (strncmp(line, "endpoint ", 9) != 0 || strlen(line + 9) == 0 ||
            strlen(line + 9) >= epsize)
            return core_err(PRAAS_ERR_PROTOCOL, "%s printed '%.80s' instead of "
                            "'endpoint HOST:PORT'", bin, line);
        snprintf(ep, epsize, "%s", line + 9);
        return 0;
    }
}

/* The variables a joining subprocess gets from the executor; the daemon's
 * own values, if any, are not passed on. */
static const char *const cp_join_vars[] = {
    "PRAAS_CONTROL", "PRAAS_PROCESS", "PRAAS_RANK", "PRAAS_SIZE", "PRAAS_LOCAL_RANK",
    "PRAAS_LOCAL_SIZE", "PRAAS_JOIN", "PRAAS_MAX_WORKERS", "PRAAS_STORAGE",
    "PRAAS_BOOTSTRAP_TIMEOUT", "PRAAS_OBJ_PERSIST_ON_EXIT",
};

static void cp_env_free(char **env)
{
    for (size_t i = 0; env && env[i]; i++)
        free(env[i]);
    free(env);
}

/* The environment of a subprocess that joins the view of process proc as
 * rank: the daemon's, with the joiner's variables (as praas-run --elastic
 * gives them) instead of its own. Its join waits for the members within
 * half the start timeout, and its objects persist to the executor's
 * storage (when it leaves last, praas_finalize persists them). */
static int cp_join_env(struct cp_exec *ex, const char *proc, int rank, const char *url,
                       char ***env_p)
{
    size_t n = 0, k = 0, nvars = PRAAS_ARRAY_SIZE(cp_join_vars);
    char **env;
    int bad = 0;

    while (environ[n])
        n++;
    env = calloc(n + nvars + 1, sizeof(*env));
    if (env == NULL)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a subprocess's environment");
    for (size_t i = 0; i < n && !bad; i++) {
        int skip = 0;
        for (size_t v = 0; v < nvars && !skip; v++) {
            size_t len = strlen(cp_join_vars[v]);
            skip = strncmp(environ[i], cp_join_vars[v], len) == 0 && environ[i][len] == '=';
        }
        if (!skip && (env[k++] = strdup(environ[i])) == NULL)
            bad = 1;
    }
    bad = bad || asprintf(&env[k++], "PRAAS_CONTROL=%s", url) < 0 ||
          asprintf(&env[k++], "PRAAS_PROCESS=%s", proc) < 0 ||
          asprintf(&env[k++], "PRAAS_RANK=%d", rank) < 0 ||
          asprintf(&env[k++], "PRAAS_SIZE=1") < 0 ||
          asprintf(&env[k++], "PRAAS_JOIN=1") < 0 ||
          asprintf(&env[k++], "PRAAS_MAX_WORKERS=%d", ex->opts.member.max_ranks) < 0 ||
          asprintf(&env[k++], "PRAAS_STORAGE=%s", ex->storage) < 0 ||
          asprintf(&env[k++], "PRAAS_OBJ_PERSIST_ON_EXIT=1") < 0 ||
          asprintf(&env[k++], "PRAAS_BOOTSTRAP_TIMEOUT=%d",
                   PRAAS_MAX(ex->opts.start_timeout_ms / 2, 1000)) < 0;
    if (bad) {
        env[k - 1] = NULL; /* asprintf left it undefined */
        cp_env_free(env);
        return core_err(PRAAS_ERR_NOMEM, "no memory for a subprocess's environment");
    }
    *env_p = env;
    return 0;
}

/* Start a subprocess for process proc with library lib, given --prefetch
 * prefetch unless NULL. *usage_p is set when it exited at once with status
 * 2 (a usage error: it does not know an option). */
static int cp_sub_spawn_once(struct cp_exec *ex, const char *proc, const char *lib,
                             const char *prefetch, struct cp_sub **sub_p, int *usage_p)
{
    int in[2], out[2], rc;
    char maxpl[32], *argv[16];
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, defs;
    struct cp_sub *sub;
    size_t a = 0;
    uint64_t until = core_deadline(ex->opts.start_timeout_ms);
    const struct cp_exec_member_ops *mo = &ex->opts.member;
    char **env = NULL, url[256];

    sub = calloc(1, sizeof(*sub));
    if (sub == NULL || (sub->library = strdup(lib)) == NULL) {
        free(sub);
        return core_err(PRAAS_ERR_NOMEM, "no memory for a subprocess");
    }
    sub->stdin_fd = sub->stdout_fd = -1;
    sub->rank = -1;
    pthread_mutex_lock(&ex->lock);
    snprintf(sub->name, sizeof(sub->name), "sp-%s-%u", ex->tag, ++ex->next);
    pthread_mutex_unlock(&ex->lock);
    snprintf(sub->proc, sizeof(sub->proc), "%s", proc);
    if (mo->join) {
        int rank;
        rc = mo->join(mo->arg, proc, sub->name, &rank, url, sizeof(url));
        if (rc == 0 && (rc = cp_join_env(ex, proc, rank, url, &env)) < 0)
            mo->started(mo->arg, proc, rank, 0);
        if (rc == 0)
            sub->rank = rank;
        else
            core_log(CORE_LOG_WARN, "subprocess %s of process %s starts as a single worker, "
                     "outside the process's view: %s", sub->name, proc, praas_errmsg());
    }
    if (pipe2(in, O_CLOEXEC) < 0) {
        rc = core_err(PRAAS_ERR_IO, "cannot make a pipe for a subprocess: %s", strerror(errno));
        goto err_sub;
    }
    if (pipe2(out, O_CLOEXEC) < 0) {
        rc = core_err(PRAAS_ERR_IO, "cannot make a pipe for a subprocess: %s", strerror(errno));
        goto err_in;
    }
    snprintf(maxpl, sizeof(maxpl), "%zu", ex->opts.max_payload);
    argv[a++] = ex->process_bin;
    argv[a++] = "--library";
    argv[a++] = sub->library;
    argv[a++] = "--listen";
    argv[a++] = "127.0.0.1:0";
    argv[a++] = "--storage";
    argv[a++] = ex->storage;
    argv[a++] = "--id";
    argv[a++] = sub->name;
    argv[a++] = "--max-payload";
    argv[a++] = maxpl;
    argv[a++] = "--exit-on-stdin-eof";
    if (prefetch) {
        argv[a++] = "--prefetch";
        argv[a++] = (char *)prefetch;
    }
    argv[a] = NULL;

    posix_spawn_file_actions_init(&fa);
    /* dup2 clears close-on-exec on the copies; the originals close. */
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    sigemptyset(&defs);
    sigaddset(&defs, SIGPIPE);
    sigaddset(&defs, SIGINT);
    sigaddset(&defs, SIGTERM);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defs);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    rc = posix_spawnp(&sub->pid, ex->process_bin, &fa, &attr, argv, env ? env : environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    sub->stdin_fd = in[1];
    sub->stdout_fd = out[0];
    if (rc != 0) {
        sub->pid = 0;
        rc = core_err(PRAAS_ERR_IO, "cannot start the subprocess program '%s': %s (set it "
                      "with --process-bin or PRAAS_PROCESS_BIN)", ex->process_bin,
                      strerror(rc));
        goto err_sub;
    }
    rc = cp_read_endpoint(ex, proc, sub->rank, sub->stdout_fd, sub->pid, ex->process_bin,
                          until, sub->endpoint, sizeof(sub->endpoint));
    if (rc < 0)
        goto err_stop;
    rc = rt_conn_open(sub->endpoint, (int)PRAAS_MAX((int64_t)(until - PRAAS_MIN(until,
                      core_now_ns())) / 1000000, 100), &sub->conn);
    if (rc == 0 && ex->opts.ping_interval_ms > 0)
        rc = rt_conn_open(sub->endpoint, (int)PRAAS_MAX((int64_t)(until - PRAAS_MIN(until,
                          core_now_ns())) / 1000000, 100), &sub->ping_conn);
    if (rc < 0)
        goto err_stop;
    if (sub->rank >= 0 && !mo->started(mo->arg, proc, sub->rank, 1)) {
        core_log(CORE_LOG_WARN, "subprocess %s did not join the view of process %s as rank %d "
                 "(see its messages above); it serves as a single worker", sub->name, proc,
                 sub->rank);
        sub->rank = -1;
    }
    cp_env_free(env);
    sub->next_ping_ns = core_now_ns() + (uint64_t)ex->opts.ping_interval_ms * 1000000u;
    core_log(CORE_LOG_INFO, "started subprocess %s (pid %ld) for process %s at %s%s%s%s",
             sub->name, (long)sub->pid, proc, sub->endpoint, prefetch ? ", prefetching " : "",
             prefetch ? prefetch : "", sub->rank >= 0 ? ", a member of its view" : "");
    *sub_p = sub;
    return 0;

err_stop:
    {
        int st = cp_sub_stop(sub);
        *usage_p = st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 2;
    }
    goto err_sub;
err_in:
    close(in[0]);
    close(in[1]);
err_sub:
    if (sub->rank >= 0)
        mo->started(mo->arg, proc, sub->rank, 0);
    cp_env_free(env);
    cp_sub_free(sub);
    return rc;
}

int cp_exec_prefetch_ok(struct cp_exec *ex)
{
    int ok;

    pthread_mutex_lock(&ex->lock);
    ok = !ex->no_prefetch;
    pthread_mutex_unlock(&ex->lock);
    return ok;
}

/* Start a subprocess, with --prefetch prefetch when the program takes it:
 * one that exits with a usage error at the option is started again
 * without, and the executor stops giving it (an older praas-process). */
static int cp_sub_spawn(struct cp_exec *ex, const char *proc, const char *lib,
                        const char *prefetch, struct cp_sub **sub_p)
{
    int usage = 0, rc;

    if (prefetch && !cp_exec_prefetch_ok(ex))
        prefetch = NULL;
    rc = cp_sub_spawn_once(ex, proc, lib, prefetch, sub_p, &usage);
    if (rc < 0 && prefetch && usage) {
        core_log(CORE_LOG_WARN, "%s rejected --prefetch (exit status 2): starting "
                 "subprocesses without it from now on", ex->process_bin);
        pthread_mutex_lock(&ex->lock);
        ex->no_prefetch = 1;
        pthread_mutex_unlock(&ex->lock);
        rc = cp_sub_spawn_once(ex, proc, lib, NULL, sub_p, &usage);
    }
    return rc;
}

static int cp_sub_add_sid(struct cp_sub *sub, const char *sid)
{
    if (sub->nsids == sub->capsids) {
        size_t cap = sub->capsids ? sub->capsids * 2 : 8;
        char (*grown)[24] = realloc(sub->sids, cap * sizeof(*grown));
        if (grown == NULL)
            return core_err(PRAAS_ERR_NOMEM, "no memory to place a session");
        sub->sids = grown;
        sub->capsids = cap;
    }
    snprintf(sub->sids[sub->nsids++], sizeof(sub->sids[0]), "%s", sid);
    return 0;
}

int cp_exec_place(struct cp_exec *ex, const char *proc, const char *lib, const char *sid,
                  const char *prefetch, struct cp_sub **sub_p)
{
    struct cp_sub **cands, *sub = NULL;
    size_t n = 0;
    int rc, pick = -1;

    pthread_mutex_lock(&ex->spawn_lock);
    pthread_mutex_lock(&ex->lock);
    if (ex->killed) {
        rc = core_err(PRAAS_ERR_CANCELED, "the control plane is stopping");
        goto err_locked;
    }
    cands = calloc(ex->nsubs + 1, sizeof(*cands));
    if (cands == NULL) {
        rc = core_err(PRAAS_ERR_NOMEM, "no memory to place a session");
        goto err_locked;
    }
    for (size_t i = 0; i < ex->nsubs; i++) {
        struct cp_sub *s = ex->subs[i];
        if (!s->dead && strcmp(s->proc, proc) == 0 && strcmp(s->library, lib) == 0 &&
            s->nsids < (size_t)ex->opts.sessions_per_sub)
            cands[n++] = s;
    }
    if (n)
        pick = ex->opts.placement->choose(ex->pstate, cands, n);
    if (pick >= 0 && (size_t)pick < n) {
        sub = cands[pick];
        free(cands);
        goto place;
    }
    free(cands);
    pthread_mutex_unlock(&ex->lock);

    rc = cp_sub_spawn(ex, proc, lib, prefetch, &sub);
    if (rc < 0) {
        pthread_mutex_unlock(&ex->spawn_lock);
        return rc;
    }
    pthread_mutex_lock(&ex->lock);
    if (ex->nsubs == ex->capsubs) {
        size_t cap = ex->capsubs ? ex->capsubs * 2 : 8;
        struct cp_sub **grown = realloc(ex->subs, cap * sizeof(*grown));
        if (grown == NULL) {
            pthread_mutex_unlock(&ex->lock);
            pthread_mutex_unlock(&ex->spawn_lock);
            cp_sub_stop(sub);
            cp_sub_free(sub);
            return core_err(PRAAS_ERR_NOMEM, "no memory for the table of subprocesses");
        }
        ex->subs = grown;
        ex->capsubs = cap;
    }
    ex->subs[ex->nsubs++] = sub;
place:
    rc = cp_sub_add_sid(sub, sid);
    if (rc < 0)
        goto err_locked;
    sub->refs++;
    pthread_mutex_unlock(&ex->lock);
    pthread_mutex_unlock(&ex->spawn_lock);
    *sub_p = sub;
    return 0;

err_locked:
    pthread_mutex_unlock(&ex->lock);
    pthread_mutex_unlock(&ex->spawn_lock);
    return rc;
}

void cp_exec_unplace(struct cp_exec *ex, struct cp_sub *sub, const char *sid)
{
    pthread_mutex_lock(&ex->lock);
    for (size_t i = 0; i < sub->nsids; i++) {
        if (strcmp(sub->sids[i], sid) == 0) {
            memmove(sub->sids[i], sub->sids[i + 1], (sub->nsids - i - 1) * sizeof(sub->sids[0]));
            if (--sub->nsids == 0)
                sub->empty_since_ns = core_now_ns();
            break;
        }
    }
    pthread_mutex_unlock(&ex->lock);
}

int cp_exec_get(struct cp_exec *ex, const char *name, struct cp_sub **sub_p)
{
    int rc = core_err(PRAAS_ERR_NOT_FOUND, "subprocess %s is not running", name);

    pthread_mutex_lock(&ex->lock);
    for (size_t i = 0; i < ex->nsubs; i++) {
        struct cp_sub *s = ex->subs[i];
        if (strcmp(s->name, name) == 0) {
            if (s->dead) {
                rc = core_err(PRAAS_ERR_PEER, "subprocess %s has exited", name);
                break;
            }
            s->refs++;
            *sub_p = s;
            rc = 0;
            break;
        }
    }
    pthread_mutex_unlock(&ex->lock);
    return rc;
}

void cp_exec_put(struct cp_exec *ex, struct cp_sub *sub)
{
    pthread_mutex_lock(&ex->lock);
    sub->refs--;
    pthread_mutex_unlock(&ex->lock);
}

/* Reap sub if it exited; lock held. Returns 1 when it is dead. */
static int cp_sub_reap(struct cp_sub *sub)
{
    int st;

    if (sub->pid > 0) {
        pid_t r = waitpid(sub->pid, &st, WNOHANG);
        if (r == sub->pid || (r < 0 && errno == ECHILD)) {
            if (r == sub->pid)
                core_log(CORE_LOG_WARN, "subprocess %s (pid %ld) %s %d", sub->name,
                         (long)sub->pid, WIFSIGNALED(st) ? "was killed by signal" :
                         "exited with status", WIFSIGNALED(st) ? WTERMSIG(st) :
                         WEXITSTATUS(st));
            sub->pid = 0;
            sub->dead = 1;
        }
    }
    return sub->dead;
}

int cp_exec_check(struct cp_exec *ex, struct cp_sub *sub)
{
    int dead;

    /* A connection breaks a moment before the exit can be reaped. */
    for (int i = 0; i < 50; i++) {
        pthread_mutex_lock(&ex->lock);
        dead = cp_sub_reap(sub);
        pthread_mutex_unlock(&ex->lock);
        if (dead)
            return 1;
        usleep(2000);
    }
    return 0;
}

void cp_exec_sweep(struct cp_exec *ex, cp_exec_lost_fn lost, void *arg)
{
    struct cp_sub **gone = NULL;
    size_t ngone = 0;
    uint64_t now = core_now_ns();

    pthread_mutex_lock(&ex->lock);
    gone = calloc(ex->nsubs + 1, sizeof(*gone));
    for (size_t i = 0; gone && i < ex->nsubs;) {
        struct cp_sub *s = ex->subs[i];
        cp_sub_reap(s);
        if (!s->dead && s->nsids == 0 &&
            now - s->empty_since_ns >= (uint64_t)ex->opts.grace_ms * 1000000u) {
            s->dead = 1; /* stopped: no new session goes there */
            s->idle = 1;
            core_log(CORE_LOG_INFO, "stopping subprocess %s: no live session for %d ms",
                     s->name, ex->opts.grace_ms);
        }
        if (s->dead && s->refs == 0) {
            gone[ngone++] = s;
            ex->subs[i] = ex->subs[--ex->nsubs];
            continue;
        }
        i++;
    }
    pthread_mutex_unlock(&ex->lock);
    for (size_t i = 0; i < ngone; i++) {
        struct cp_sub *s = gone[i];
        /* Its sessions were live there: their memory is gone with it. */
        for (size_t k = 0; lost && k < s->nsids; k++)
            lost(arg, s->proc, s->sids[k], s->name);
        cp_sub_leave(ex, s);
    }
    free(gone);
}

void cp_exec_ping(struct cp_exec *ex)
{
    struct cp_sub **due;
    size_t ndue = 0;
    uint64_t now = core_now_ns();

    if (ex->opts.ping_interval_ms <= 0)
        return;
    pthread_mutex_lock(&ex->lock);
    due = calloc(ex->nsubs + 1, sizeof(*due));
    for (size_t i = 0; due && i < ex->nsubs; i++) {
        struct cp_sub *s = ex->subs[i];
        if (!s->dead && s->ping_conn && now >= s->next_ping_ns) {
            s->refs++;
            due[ndue++] = s;
        }
    }
    pthread_mutex_unlock(&ex->lock);
    for (size_t i = 0; i < ndue; i++) {
        struct cp_sub *s = due[i];
        int rc = rt_sub_ping(s->ping_conn, ex->opts.ping_timeout_ms, NULL);

        pthread_mutex_lock(&ex->lock);
        s->next_ping_ns = core_now_ns() + (uint64_t)ex->opts.ping_interval_ms * 1000000u;
        if (rc == 0) {
            s->missed = 0;
        } else if (rc == PRAAS_ERR_TIMEOUT && !s->dead) {
            /* A broken connection (PRAAS_ERR_PEER) is an exit: reaped. */
            if (++s->missed >= (unsigned)PRAAS_MAX(ex->opts.ping_misses, 1)) {
                core_log(CORE_LOG_WARN, "subprocess %s (pid %ld) is hung: %u pings without a "
                         "reply within %d ms; killing it", s->name, (long)s->pid, s->missed,
                         ex->opts.ping_timeout_ms);
                if (s->pid > 0)
                    kill(s->pid, SIGKILL);
                s->dead = 1;
            }
        }
        s->refs--;
        pthread_mutex_unlock(&ex->lock);
    }
    free(due);
}

int cp_exec_sessions(struct cp_exec *ex, struct cp_exec_sess **list_p, size_t *n_p)
{
    struct cp_exec_sess *list;
    size_t n = 0, k = 0;

    pthread_mutex_lock(&ex->lock);
    for (size_t i = 0; i < ex->nsubs; i++)
        n += ex->subs[i]->dead ? 0 : ex->subs[i]->nsids;
    list = calloc(n + 1, sizeof(*list));
    if (list == NULL) {
        pthread_mutex_unlock(&ex->lock);
        return core_err(PRAAS_ERR_NOMEM, "no memory for a list of sessions");
    }
    for (size_t i = 0; i < ex->nsubs; i++) {
        struct cp_sub *s = ex->subs[i];
        for (size_t j = 0; !s->dead && j < s->nsids; j++, k++) {
            snprintf(list[k].proc, sizeof(list[k].proc), "%s", s->proc);
            snprintf(list[k].sid, sizeof(list[k].sid), "%s", s->sids[j]);
            snprintf(list[k].sub, sizeof(list[k].sub), "%s", s->name);
            list[k].missed = s->missed;
        }
    }
    pthread_mutex_unlock(&ex->lock);
    *list_p = list;
    *n_p = n;
    return 0;
}

size_t cp_exec_count(struct cp_exec *ex, const char *proc)
{
    size_t n = 0;

    pthread_mutex_lock(&ex->lock);
    for (size_t i = 0; i < ex->nsubs; i++)
        if (!ex->subs[i]->dead && (proc == NULL || strcmp(ex->subs[i]->proc, proc) == 0))
            n++;
    pthread_mutex_unlock(&ex->lock);
    return n;
}
