/*
 * praas-run: the mpirun of praas (DESIGN.md decisions 9 and 10).
 *
 * It starts the control plane inside itself, creates a process of N
 * workers through the HTTP API, and runs the program N times on this
 * machine with the environment praas_init() reads. One thread drives
 * everything from a poll() loop: a signalfd brings child exits and the
 * signals to forward, pipes bring the workers' output when it is tagged,
 * and the poll timeout is the next deadline (--timeout, or the SIGKILL that
 * follows a SIGTERM by one second).
 *
 * With --keep-going a worker that fails does not stop the others: the
 * launcher tells the control plane, which removes the rank from the
 * process's view (POST .../views {"failed": [R]}). With --elastic, SIGUSR2
 * asks the highest-ranked member of the view to leave ({"leave": [R]}), and
 * SIGUSR1 announces one more worker ({"join": [R]}, R the next unused rank)
 * and starts it with PRAAS_JOIN=1: it joins the running process.
 *
 * Each worker leads its own process group, so stopping a worker also stops
 * what it started (a shell's children), and a terminal's Ctrl-C reaches the
 * launcher only, which forwards it. Because rank 0 is then not in the
 * terminal's foreground group, a terminal on stdin is relayed to it through
 * a pipe, as mpirun does; a file or pipe on stdin is passed directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <praas/control.h>
#include <praas/errors.h>
#include <praas/version.h>

#include "client/http.h"
#include "core/common.h"
#include "core/config.h"
#include "launcher/launcher.h"

#define LR_EXIT_FAIL 1      /* the launcher itself failed */
#define LR_EXIT_USAGE 2
#define LR_EXIT_TIMEOUT 124 /* as timeout(1) */
#define LR_EXIT_NOEXEC 126  /* as a shell: found but not executable */
#define LR_EXIT_NOTFOUND 127

#define LR_GRACE_NS 1000000000ull /* SIGTERM to SIGKILL */
/* --elastic: the ranks a run may grow to (PRAAS_MAX_WORKERS's default; a
 * worker checks its rank against its own PRAAS_MAX_WORKERS). */
#define LR_ELASTIC_MAX 256

extern char **environ;

struct lr_worker {
    pid_t pid;
    int running;
    lr_stream_t io[2];
};

/* What a child reports through its close-on-exec pipe when it fails
 * before exec completes. */
enum lr_child_stage { LR_STAGE_SETUP = 1, LR_STAGE_BIND, LR_STAGE_EXEC };
struct lr_child_err {
    int stage;
    int err;
};

struct lr_run {
    const lr_opts_t *opts;
    lr_bind_t *bind;
    struct lr_worker *w;
    int cap; /* slots of w: -n, or LR_ELASTIC_MAX with --elastic */
    int nstarted;
    int nrunning;
    pid_t self;
    sigset_t orig_mask;
    int pipe_was_ignored; /* SIGPIPE was ignored when we started */
    int sigfd;
    int devnull;
    int rank0_in; /* rank 0's stdin: -1 to inherit ours, else an fd */
    char **envp; /* shared by all workers; the last three slots are per rank */
    int nenv;
    char **owned; /* strings of envp that we allocated */
    int nowned;
    /* A terminal on stdin, relayed to rank 0. */
    int relay_in;  /* STDIN_FILENO while relaying, else -1 */
    int relay_out; /* write end of rank 0's stdin, -1 when closed */
    char relay_buf[4096];
    size_t relay_len, relay_off;
    /* How it ends: the first failure wins. */
    int exit_code; /* -1 until decided */
    int signalled; /* first signal forwarded to the workers, 0 if none */
    int stopping;
    uint64_t kill_at;    /* SIGKILL the rest then; UINT64_MAX: no */
    uint64_t timeout_at; /* --timeout; UINT64_MAX: none */
    /* --keep-going: the control plane to tell, and how workers ended. */
    const char *url;
    const char *id;
    int first_failure; /* status of the first worker that failed, -1: none */
    int nsucceeded;    /* workers that exited 0 */
};

/* --- stopping ---------------------------------------------------------- */

static const char *lr_signame(int sig, char *buf, size_t len)
{
    const char *abbrev = sigabbrev_np(sig);
    snprintf(buf, len, "SIG%s", abbrev ? abbrev : "?");
    return buf;
}

/* Send sig to every running worker's process group; the first call also
 * plans the SIGKILL that follows one second later. */
static void lr_signal_all(struct lr_run *r, int sig)
{
    for (int i = 0; i < r->nstarted; i++) {
        if (!r->w[i].running)
            continue;
        if (kill(-r->w[i].pid, sig) < 0)
            kill(r->w[i].pid, sig);
    }
    if (!r->stopping) {
        r->stopping = 1;
        r->kill_at = core_now_ns() + LR_GRACE_NS;
    }
}

static void lr_relay_close(struct lr_run *r)
{
    if (r->relay_out >= 0)
        close(r->relay_out);
    r->relay_out = -1;
    r->relay_in = -1;
}

/* --- workers ------------------------------------------------------------ */

/* The child's side of the fork: only async-signal-safe calls, plus hwloc's
 * binding, which glibc's fork-safe malloc allows. Never returns. */
static void lr_child(struct lr_run *r, int rank, int in_fd, int out_fd, int err_fd, int errpipe)
{
    struct lr_child_err ce = {LR_STAGE_SETUP, 0};
    struct sigaction dfl;
    int code = LR_EXIT_FAIL;

    /* Die with the launcher, even by SIGKILL. If it died before prctl()
     * took effect, we have been reparented already: give up. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != r->self)
        _exit(LR_EXIT_FAIL);
    setpgid(0, 0);
    if (!r->pipe_was_ignored) {
        memset(&dfl, 0, sizeof(dfl));
        dfl.sa_handler = SIG_DFL;
        sigaction(SIGPIPE, &dfl, NULL);
    }
    sigprocmask(SIG_SETMASK, &r->orig_mask, NULL);
    if ((in_fd >= 0 && dup2(in_fd, STDIN_FILENO) < 0) ||
        (out_fd >= 0 && dup2(out_fd, STDOUT_FILENO) < 0) ||
        (err_fd >= 0 && dup2(err_fd, STDERR_FILENO) < 0))
        goto err;
    ce.stage = LR_STAGE_BIND;
    if ((ce.err = lr_bind_apply(r->bind, rank)) != 0)
        goto err_report;
    /* Workers see only 0, 1 and 2 (and the error pipe until exec). */
    if (errpipe > 3)
        close_range(3, (unsigned)errpipe - 1, 0);
    close_range((unsigned)errpipe + 1, ~0u, 0);
    ce.stage = LR_STAGE_EXEC;
    execvpe(r->opts->prog_argv[0], r->opts->prog_argv, r->envp);
    code = errno == ENOENT || errno == ENOTDIR ? LR_EXIT_NOTFOUND : LR_EXIT_NOEXEC;
err:
    ce.err = errno;
err_report:
    while (write(errpipe, &ce, sizeof(ce)) < 0 && errno == EINTR)
        ;
    _exit(code);
}

static void lr_report_child_err(struct lr_run *r, int rank, const struct lr_child_err *ce)
{
    const char *prog = r->opts->prog_argv[0];
    char where[128];

    switch (ce->stage) {
    case LR_STAGE_EXEC:
        fprintf(stderr, "praas-run: cannot execute '%s': %s%s\n", prog, strerror(ce->err),
                ce->err == ENOENT && !strchr(prog, '/') ? " (not found in PATH)" : "");
        break;
    case LR_STAGE_BIND:
        lr_bind_describe(r->bind, rank, where, sizeof(where));
        fprintf(stderr, "praas-run: rank %d: cannot bind to %s: %s\n", rank, where,
                strerror(ce->err));
        break;
    default:
        fprintf(stderr, "praas-run: rank %d: cannot set up standard streams: %s\n", rank,
                strerror(ce->err));
    }
}

static int lr_pipe(int fds[2])
{
    return pipe2(fds, O_CLOEXEC);
}

static void lr_close_pair(int fds[2])
{
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* Start rank `rank` and wait until its exec has succeeded or failed.
 * Returns 0, or the exit status the launcher should end with. */
static int lr_spawn(struct lr_run *r, int rank)
{
    struct lr_worker *w = &r->w[rank];
    int errpipe[2] = {-1, -1}, io[2][2] = {{-1, -1}, {-1, -1}}, in[2] = {-1, -1};
    char rank_var[32], local_var[40];
    int in_fd = r->devnull;
    struct lr_child_err ce;
    ssize_t n;
    pid_t pid;

    snprintf(rank_var, sizeof(rank_var), "PRAAS_RANK=%d", rank);
    snprintf(local_var, sizeof(local_var), "PRAAS_LOCAL_RANK=%d", rank);
    r->envp[r->nenv - 3] = rank >= r->opts->np ? "PRAAS_JOIN=1" : "PRAAS_JOIN=0";
    r->envp[r->nenv - 2] = rank_var;
    r->envp[r->nenv - 1] = local_var;

    if (lr_pipe(errpipe) < 0)
        goto err_sys;
    if (r->opts->tag_output && (lr_pipe(io[0]) < 0 || lr_pipe(io[1]) < 0))
        goto err_sys;
    if (rank == 0) {
        if (r->relay_in >= 0) {
            if (lr_pipe(in) < 0)
                goto err_sys;
            in_fd = in[0];
        } else {
            in_fd = r->rank0_in;
        }
    }
    pid = fork();
    if (pid < 0)
        goto err_sys;
    if (pid == 0)
        lr_child(r, rank, in_fd, io[0][1], io[1][1], errpipe[1]);

    setpgid(pid, pid); /* both sides set it: whoever runs first wins */
    w->pid = pid;
    w->running = 1;
    r->nstarted++;
    r->nrunning++;
    close(errpipe[1]);
    errpipe[1] = -1;
    for (int k = 0; k < 2; k++) {
        lr_stream_open(&w->io[k], io[k][0], k == 0 ? STDOUT_FILENO : STDERR_FILENO, rank);
        if (io[k][1] >= 0)
            close(io[k][1]);
        io[k][0] = io[k][1] = -1;
    }
    if (in[0] >= 0) {
        close(in[0]);
        fcntl(in[1], F_SETFL, O_NONBLOCK);
        r->relay_out = in[1];
    }
    /* EOF: exec succeeded and closed the pipe. */
    do
        n = read(errpipe[0], &ce, sizeof(ce));
    while (n < 0 && errno == EINTR);
    close(errpipe[0]);
    if (n == (ssize_t)sizeof(ce)) {
        int st;
        lr_report_child_err(r, rank, &ce);
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        w->running = 0;
        r->nrunning--;
        for (int k = 0; k < 2; k++)
            lr_stream_close(&w->io[k]);
        return WIFEXITED(st) ? WEXITSTATUS(st) : LR_EXIT_FAIL;
    }
    if (r->opts->verbose)
        fprintf(stderr, "praas-run: rank %d is pid %d\n", rank, (int)pid);
    return 0;

err_sys:
    fprintf(stderr, "praas-run: cannot start rank %d: %s\n", rank, strerror(errno));
    lr_close_pair(errpipe);
    lr_close_pair(io[0]);
    lr_close_pair(io[1]);
    lr_close_pair(in);
    return LR_EXIT_FAIL;
}

/* A worker ended: forward the rest of its output, then judge its status. */
static void lr_worker_ended(struct lr_run *r, int rank, int status)
{
    struct lr_worker *w = &r->w[rank];
    int code, sig = 0;
    char name[32];

    w->running = 0;
    r->nrunning--;
    for (int k = 0; k < 2; k++) {
        lr_stream_read(&w->io[k]);
        /* A background grandchild may keep the pipe open; do not wait for
         * it, but do not lose what the worker wrote either. */
        lr_stream_close(&w->io[k]);
    }
    if (rank == 0)
        lr_relay_close(r);
    if (WIFSIGNALED(status)) {
        sig = WTERMSIG(status);
        code = 128 + sig;
    } else {
        code = WEXITSTATUS(status);
    }
    if (code == 0) {
        r->nsucceeded++;
        return;
    }
    if (r->opts->keep_going && !r->stopping) {
        if (sig)
            fprintf(stderr, "praas-run: rank %d killed by signal %d (%s); the others go on "
                    "(--keep-going)\n", rank, sig, lr_signame(sig, name, sizeof(name)));
        else
            fprintf(stderr, "praas-run: rank %d exited with status %d; the others go on "
                    "(--keep-going)\n", rank, code);
        if (r->first_failure < 0)
            r->first_failure = code;
        lr_view_report_failed(r->url, r->id, rank);
        return;
    }
    if (r->exit_code < 0 || r->opts->verbose) {
        /* The launcher's own signal coming back needs no message. */
        if (!(r->signalled && sig == r->signalled) || r->opts->verbose) {
            if (sig)
                fprintf(stderr, "praas-run: rank %d killed by signal %d (%s)\n", rank, sig,
                        lr_signame(sig, name, sizeof(name)));
            else
                fprintf(stderr, "praas-run: rank %d exited with status %d\n", rank, code);
        }
    }
    if (r->exit_code < 0) {
        r->exit_code = code;
        lr_signal_all(r, SIGTERM);
    }
}

static void lr_reap(struct lr_run *r)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);

        if (pid < 0 && errno == EINTR)
            continue;
        if (pid <= 0)
            return;
        for (int i = 0; i < r->nstarted; i++) {
            if (r->w[i].running && r->w[i].pid == pid) {
                lr_worker_ended(r, i, status);
                break;
            }
        }
    }
}

/* --elastic, SIGUSR1: one more worker joins the running process, with the
 * next unused rank (ranks are never reused in a run). */
static void lr_add_worker(struct lr_run *r)
{
    int rank = r->nstarted, rc;

    if (r->stopping)
        return;
    if (rank >= r->cap) {
        fprintf(stderr, "praas-run: no room for rank %d: a run grows to %d ranks at most "
                "(SIGUSR1 ignored)\n", rank, r->cap);
        return;
    }
    if (lr_view_announce_join(r->url, r->id, rank) < 0)
        return;
    rc = lr_spawn(r, rank);
    if (rc) {
        /* It never ran: take it out of the change, which waits for it. */
        fprintf(stderr, "praas-run: rank %d could not start (status %d)\n", rank, rc);
        lr_view_report_failed(r->url, r->id, rank);
    }
}

static void lr_on_signals(struct lr_run *r)
{
    struct signalfd_siginfo si;
    char name[32];

    while (read(r->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        int sig = (int)si.ssi_signo;

        switch (sig) {
        case SIGCHLD:
            lr_reap(r);
            break;
        case SIGUSR1:
        case SIGUSR2:
            if (r->opts->elastic) {
                if (sig == SIGUSR2)
                    lr_view_ask_leave(r->url, r->id);
                else
                    lr_add_worker(r);
                break;
            }
            for (int i = 0; i < r->nstarted; i++)
                if (r->w[i].running)
                    kill(-r->w[i].pid, sig);
            break;
        default: /* SIGINT, SIGTERM, SIGHUP */
            if (r->opts->verbose)
                fprintf(stderr, "praas-run: got %s, stopping the workers\n",
                        lr_signame(sig, name, sizeof(name)));
            if (!r->signalled)
                r->signalled = sig;
            /* A second interrupt does not wait for the grace period. */
            lr_signal_all(r, r->stopping ? SIGKILL : sig);
            lr_relay_close(r);
        }
    }
}

static void lr_on_deadlines(struct lr_run *r)
{
    uint64_t now = core_now_ns();

    if (now >= r->timeout_at) {
        r->timeout_at = UINT64_MAX;
        if (r->exit_code < 0) {
            fprintf(stderr, "praas-run: timeout after %s s, %d worker%s still running\n",
                    r->opts->timeout_text, r->nrunning, r->nrunning == 1 ? "" : "s");
            r->exit_code = LR_EXIT_TIMEOUT;
        }
        lr_signal_all(r, SIGTERM);
    }
    if (now >= r->kill_at) {
        r->kill_at = UINT64_MAX;
        lr_signal_all(r, SIGKILL);
    }
}

/* Move stdin to rank 0, one buffer at a time. */
static void lr_relay(struct lr_run *r, short in_events, short out_events)
{
    if (in_events) {
        ssize_t n = read(r->relay_in, r->relay_buf, sizeof(r->relay_buf));
        if (n > 0) {
            r->relay_len = (size_t)n;
            r->relay_off = 0;
        } else if (n == 0 || errno != EINTR) {
            lr_relay_close(r); /* EOF on stdin is EOF for rank 0 */
        }
    }
    if (out_events && r->relay_out >= 0) {
        ssize_t n = write(r->relay_out, r->relay_buf + r->relay_off, r->relay_len - r->relay_off);
        if (n > 0) {
            r->relay_off += (size_t)n;
            if (r->relay_off == r->relay_len)
                r->relay_len = r->relay_off = 0;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            lr_relay_close(r); /* rank 0 closed its stdin */
        }
    }
}

static int lr_poll_timeout(const struct lr_run *r)
{
    uint64_t next = PRAAS_MIN(r->timeout_at, r->kill_at), now;

    if (next == UINT64_MAX)
        return -1;
    now = core_now_ns();
    if (next <= now)
        return 0;
    return (int)PRAAS_MIN((next - now + 999999) / 1000000, (uint64_t)INT_MAX);
}

/* The event loop: until every started worker has been reaped. */
static int lr_loop(struct lr_run *r)
{
    int cap = 3 + 2 * r->cap; /* workers may join while it runs */
    struct pollfd *pfd = calloc((size_t)cap, sizeof(*pfd));
    lr_stream_t **who = calloc((size_t)cap, sizeof(*who));

    if (!pfd || !who) {
        free(pfd);
        free(who);
        fprintf(stderr, "praas-run: out of memory\n");
        return -1;
    }
    while (r->nrunning > 0) {
        int n = 0, relay_in_ix = -1, relay_out_ix = -1, rc;

        pfd[n++] = (struct pollfd){.fd = r->sigfd, .events = POLLIN};
        if (r->relay_out >= 0) {
            if (r->relay_len == 0 && r->relay_in >= 0) {
                relay_in_ix = n;
                pfd[n++] = (struct pollfd){.fd = r->relay_in, .events = POLLIN};
            } else if (r->relay_len > 0) {
                relay_out_ix = n;
                pfd[n++] = (struct pollfd){.fd = r->relay_out, .events = POLLOUT};
            }
        }
        for (int i = 0; i < r->nstarted; i++) {
            for (int k = 0; k < 2; k++) {
                if (r->w[i].io[k].fd < 0)
                    continue;
                who[n] = &r->w[i].io[k];
                pfd[n++] = (struct pollfd){.fd = r->w[i].io[k].fd, .events = POLLIN};
            }
        }
        rc = poll(pfd, (nfds_t)n, lr_poll_timeout(r));
        if (rc < 0 && errno != EINTR) {
            fprintf(stderr, "praas-run: poll: %s\n", strerror(errno));
            lr_signal_all(r, SIGKILL);
            break;
        }
        /* Output first, so that a worker's last lines come before the
         * launcher's message about its exit. */
        for (int j = 0; rc > 0 && j < n; j++)
            if (who[j] && pfd[j].revents)
                lr_stream_read(who[j]);
        if (rc > 0 && ((relay_in_ix >= 0 && pfd[relay_in_ix].revents) ||
                       (relay_out_ix >= 0 && pfd[relay_out_ix].revents)))
            lr_relay(r, relay_in_ix >= 0 ? pfd[relay_in_ix].revents : 0,
                     relay_out_ix >= 0 ? pfd[relay_out_ix].revents : 0);
        if (rc > 0 && pfd[0].revents)
            lr_on_signals(r);
        lr_on_deadlines(r);
        memset(who, 0, (size_t)cap * sizeof(*who));
    }
    free(pfd);
    free(who);
    return 0;
}

/* --- set-up ------------------------------------------------------------ */

static int lr_env_own(struct lr_run *r, char *s)
{
    if (!s)
        return -1;
    r->owned[r->nowned++] = s;
    return 0;
}

static int lr_env_name_is(const char *entry, const char *name, size_t len)
{
    return strncmp(entry, name, len) == 0 && entry[len] == '=';
}

/* The environment of the workers: the launcher's, then -x (the last one
 * for a variable wins), then ours, which nothing overrides. The last three
 * slots are PRAAS_JOIN, PRAAS_RANK and PRAAS_LOCAL_RANK, set by lr_spawn(). */
static int lr_build_env(struct lr_run *r, const char *url, const char *id)
{
    /* PRAAS_TRANSPORT last: it is ours only with --transport. */
    static const char *const ours[] = {"PRAAS_RANK",       "PRAAS_SIZE",    "PRAAS_LOCAL_RANK",
                                       "PRAAS_LOCAL_SIZE", "PRAAS_PROCESS", "PRAAS_CONTROL",
                                       "PRAAS_JOIN",       "PRAAS_TRANSPORT"};
    const lr_opts_t *o = r->opts;
    int nenv = 0, n = 0, nours = (int)PRAAS_ARRAY_SIZE(ours) - (o->transport ? 0 : 1);
    char *s;

    while (environ[nenv])
        nenv++;
    r->envp = calloc((size_t)(nenv + o->nexports + 9), sizeof(char *));
    r->owned = calloc((size_t)(o->nexports + 8), sizeof(char *));
    if (!r->envp || !r->owned)
        return -1;
    for (int i = 0; i < nenv; i++) {
        const char *e = environ[i];
        int skip = 0;
        for (int k = 0; k < nours && !skip; k++)
            skip = lr_env_name_is(e, ours[k], strlen(ours[k]));
        for (int k = 0; k < o->nexports && !skip; k++)
            skip = lr_env_name_is(e, o->exports[k], strcspn(o->exports[k], "="));
        if (!skip)
            r->envp[n++] = environ[i];
    }
    for (int i = o->nexports - 1; i >= 0; i--) {
        const char *x = o->exports[i];
        size_t len = strcspn(x, "=");
        int later = 0;
        for (int k = i + 1; k < o->nexports && !later; k++)
            later = strcspn(o->exports[k], "=") == len && strncmp(o->exports[k], x, len) == 0;
        if (later)
            continue;
        if (x[len] == '=') {
            r->envp[n++] = (char *)x;
        } else if (getenv(x)) {
            if (asprintf(&s, "%s=%s", x, getenv(x)) < 0 || lr_env_own(r, s))
                return -1;
            r->envp[n++] = s;
        } else {
            fprintf(stderr, "praas-run: warning: -x %s: %s is not set, not exported\n", x, x);
        }
    }
    if (asprintf(&s, "PRAAS_SIZE=%d", o->np) < 0 || lr_env_own(r, s))
        return -1;
    r->envp[n++] = s;
    if (asprintf(&s, "PRAAS_LOCAL_SIZE=%d", o->np) < 0 || lr_env_own(r, s))
        return -1;
    r->envp[n++] = s;
    if (asprintf(&s, "PRAAS_PROCESS=%s", id) < 0 || lr_env_own(r, s))
        return -1;
    r->envp[n++] = s;
    if (asprintf(&s, "PRAAS_CONTROL=%s", url) < 0 || lr_env_own(r, s))
        return -1;
    r->envp[n++] = s;
    if (o->transport) {
        if (asprintf(&s, "PRAAS_TRANSPORT=%s", o->transport) < 0 || lr_env_own(r, s))
            return -1;
        r->envp[n++] = s;
    }
    r->nenv = n + 3; /* PRAAS_JOIN, PRAAS_RANK and PRAAS_LOCAL_RANK, then NULL */
    return 0;
}

/* Make sure 0, 1 and 2 are open, so that no pipe we create lands on them. */
static void lr_fix_std_fds(void)
{
    for (int fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
            open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
}

/* Signals become events on a signalfd. They are blocked before any thread
 * starts (the control plane's threads inherit the mask), so that none of
 * them is delivered elsewhere. */
static int lr_signals_setup(struct lr_run *r)
{
    static const int sigs[] = {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};
    struct sigaction sa, old;
    sigset_t set;

    sigemptyset(&set);
    for (size_t i = 0; i < PRAAS_ARRAY_SIZE(sigs); i++)
        sigaddset(&set, sigs[i]);
    if (sigprocmask(SIG_BLOCK, &set, &r->orig_mask) < 0)
        return -1;
    /* A closed stdout must not kill the launcher while it forwards output. */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, &old);
    r->pipe_was_ignored = old.sa_handler == SIG_IGN;
    r->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    return r->sigfd < 0 ? -1 : 0;
}

/* Rank 0's stdin: the launcher's own, a relay of it for a terminal in the
 * foreground, or /dev/null for a terminal in the background (reading it
 * would stop the launcher). Every other rank reads /dev/null. */
static int lr_stdin_setup(struct lr_run *r)
{
    r->relay_in = r->relay_out = -1;
    r->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (r->devnull < 0)
        return -1;
    r->rank0_in = -1;
    if (isatty(STDIN_FILENO)) {
        if (tcgetpgrp(STDIN_FILENO) == getpgrp())
            r->relay_in = STDIN_FILENO;
        else
            r->rank0_in = r->devnull;
    }
    return 0;
}

static int lr_run_workers(struct lr_run *r)
{
    const lr_opts_t *o = r->opts;
    char where[128];
    int rc;

    if (o->bind == LR_BIND_CORE && o->np > lr_bind_count(r->bind))
        fprintf(stderr,
                "praas-run: warning: %d workers on %d core%s: binding wraps round-robin, so "
                "some cores are shared\n",
                o->np, lr_bind_count(r->bind), lr_bind_count(r->bind) == 1 ? "" : "s");
    if (o->timeout_s > 0)
        r->timeout_at = core_now_ns() + (uint64_t)(o->timeout_s * 1e9);
    for (int rank = 0; rank < o->np; rank++) {
        struct pollfd p = {.fd = r->sigfd, .events = POLLIN};

        /* A failure or a signal during start-up ends it early. */
        if (poll(&p, 1, 0) > 0)
            lr_on_signals(r);
        lr_on_deadlines(r);
        if (r->stopping)
            break;
        if (o->report_bindings) {
            lr_bind_describe(r->bind, rank, where, sizeof(where));
            fprintf(stderr, "praas-run: rank %d %s%s\n", rank,
                    o->bind == LR_BIND_NONE ? "" : "bound to ", where);
        }
        rc = lr_spawn(r, rank);
        if (rc) {
            if (r->exit_code < 0)
                r->exit_code = rc;
            lr_signal_all(r, SIGTERM);
            break;
        }
    }
    if (lr_loop(r) < 0 && r->exit_code < 0)
        r->exit_code = LR_EXIT_FAIL;
    /* --keep-going: the failures are forgiven while some worker succeeded. */
    if (r->exit_code < 0 && r->first_failure >= 0 && r->nsucceeded == 0)
        r->exit_code = r->first_failure;
    if (r->exit_code < 0)
        r->exit_code = r->signalled ? 128 + r->signalled : 0;
    return r->exit_code;
}

static const char *lr_errmsg(int rc)
{
    const char *m = praas_errmsg();
    return m && *m ? m : praas_strerror(rc);
}

static int lr_usage_error(const char *msg)
{
    fprintf(stderr, "praas-run: %s\nsee praas-run --help\n", msg);
    return LR_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    lr_opts_t opts;
    struct lr_run r;
    praas_control_t *ctl = NULL;
    char err[256];
    char *id = NULL;
    const char *url, *name;
    int rc, code = LR_EXIT_FAIL;

    if (lr_opts_parse(argc, argv, &opts, err, sizeof(err)) < 0)
        return lr_usage_error(err);
    switch (opts.action) {
    case LR_ACTION_HELP:
        lr_usage(stdout);
        lr_opts_free(&opts);
        return 0;
    case LR_ACTION_HELP_ENV:
        printf("Environment variables read by praas programs (those marked \"set by "
               "praas-run\" come from the launcher):\n");
        core_cfg_help(stdout);
        lr_opts_free(&opts);
        return 0;
    case LR_ACTION_VERSION:
        printf("praas-run (praas) %s\n", PRAAS_VERSION_STRING);
        lr_opts_free(&opts);
        return 0;
    case LR_ACTION_RUN:
        break;
    }

    memset(&r, 0, sizeof(r));
    r.opts = &opts;
    r.self = getpid();
    r.exit_code = -1;
    r.first_failure = -1;
    r.kill_at = r.timeout_at = UINT64_MAX;
    r.sigfd = r.devnull = -1;
    r.relay_in = r.relay_out = -1;
    lr_fix_std_fds();
    if (lr_signals_setup(&r) < 0 || lr_stdin_setup(&r) < 0) {
        fprintf(stderr, "praas-run: cannot set up: %s\n", strerror(errno));
        goto out_fds;
    }
    r.cap = opts.elastic ? PRAAS_MAX(opts.np, LR_ELASTIC_MAX) : opts.np;
    r.w = calloc((size_t)r.cap, sizeof(*r.w));
    if (!r.w) {
        fprintf(stderr, "praas-run: out of memory for %d workers\n", opts.np);
        goto out_fds;
    }
    if (lr_bind_open(opts.bind, &r.bind, err, sizeof(err)) < 0) {
        fprintf(stderr, "praas-run: --bind-to %s: %s\n", lr_bind_name(opts.bind), err);
        goto out_fds;
    }

    rc = praas_control_start(&(praas_control_opts_t){.bind = "127.0.0.1",
                                                     .port = 0,
                                                     .store = opts.store,
                                                     .log_requests = opts.verbose >= 2},
                             &ctl);
    if (rc) {
        fprintf(stderr, "praas-run: cannot start the control plane%s%s: %s\n",
                opts.store ? " with store " : "", opts.store ? opts.store : "", lr_errmsg(rc));
        goto out_bind;
    }
    url = praas_control_url(ctl);
    name = strrchr(opts.prog_argv[0], '/') ? strrchr(opts.prog_argv[0], '/') + 1
                                           : opts.prog_argv[0];
    if (opts.process) {
        /* A given process is created the first time and continued after:
         * its next run replaces the sessions of the last one. */
        long run = 1;
        rc = cl_process_create_id(url, opts.process, name, opts.np);
        if (rc == PRAAS_ERR_EXISTS)
            rc = cl_process_run(url, opts.process, opts.np, &run);
        if (rc) {
            fprintf(stderr, "praas-run: cannot start a run of process %s at %s: %s\n",
                    opts.process, url, lr_errmsg(rc));
            goto out_control;
        }
        id = strdup(opts.process);
        if (!id) {
            fprintf(stderr, "praas-run: out of memory\n");
            goto out_process;
        }
        if (opts.verbose)
            fprintf(stderr, "praas-run: process %s, run %ld\n", opts.process, run);
    } else {
        rc = cl_process_create(url, name, opts.np, &id);
        if (rc) {
            fprintf(stderr, "praas-run: cannot create a process of %d workers at %s: %s\n",
                    opts.np, url, lr_errmsg(rc));
            goto out_control;
        }
    }
    if (opts.verbose)
        fprintf(stderr, "praas-run: control plane at %s (store %s), process %s of %d workers\n",
                url, opts.store ? opts.store : "memory", id, opts.np);
    if (lr_build_env(&r, url, id) < 0) {
        fprintf(stderr, "praas-run: out of memory for the environment\n");
        goto out_process;
    }

    r.url = url;
    r.id = id;
    code = lr_run_workers(&r);

out_process:
    if (opts.process) {
        /* Keep the process and its objects; end the run, so that the next
         * run's workers can register. */
        rc = cl_process_end_run(url, opts.process);
        if (rc)
            fprintf(stderr, "praas-run: cannot end the run of process %s: %s\n", opts.process,
                    lr_errmsg(rc));
    } else {
        rc = cl_process_delete(url, id);
        if (rc && opts.verbose)
            fprintf(stderr, "praas-run: cannot delete process %s: %s\n", id, lr_errmsg(rc));
    }
    free(id);
out_control:
    praas_control_stop(ctl);
out_bind:
    lr_bind_close(r.bind);
out_fds:
    for (int i = 0; i < r.nowned; i++)
        free(r.owned[i]);
    free(r.owned);
    free(r.envp);
    free(r.w);
    lr_relay_close(&r);
    if (r.devnull >= 0)
        close(r.devnull);
    if (r.sigfd >= 0)
        close(r.sigfd);
    lr_opts_free(&opts);
    fflush(stdout);
    return code;
}
