/*
 * Invocations, chaining and swapping (bench/README-invoke.md), three phases
 * chosen with --only:
 *
 * rtt    invocation round trip of the echo function against payload size:
 *        raw-tcp (the floor: a TCP ping-pong of the same N bytes over
 *        loopback with an echo thread in this program, TCP_NODELAY, no
 *        framing), raw-tcp-handoff (the same with the echo thread handing
 *        each message to a second thread that sends it back, as
 *        praas-process's reader hands it to a function thread), direct-rt
 *        (rt_conn_call to a praas-process this program starts), and with
 *        --control: direct-client (praas_invoke of the
 *        public client library, straight to the session) and control
 *        (praas_invoke with PRAAS_INVOKE_VIA_CONTROL: an HTTP POST
 *        /v1/sessions/{sid}/invoke/echo with the raw payload).
 * chain  a pipeline of K stages passing S bytes: through session memory
 *        (K invocations of `stage`, each reading the previous stage's
 *        output in session memory and writing its own there), and through
 *        Redis (GET, the same work, SET; hiredis) and S3 (GET, work, PUT;
 *        praas's S3 storage against s3rver), done by this program.
 * swap   swap-out and swap-in of a session of each size through each
 *        storage backend (file, redis, s3) timed at the client, a fresh
 *        allocation (alloc, alloc+fill), and the read of a file of the same
 *        size from the file backend's directory with its pages dropped from
 *        the cache (disk-read-cold) and from the cache (disk-read-warm).
 *
 * CSV on stdout, one row per configuration, operation and size:
 *   config,op,size,iters,lat_us_median,lat_us_p99,lat_us_min,bw_MBps
 * Every result is checked (echo bytes, pipeline words, checksums across a
 * swap); a wrong one stops the program with status 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <praas/client.h>
#include <praas/errors.h>

#include "bench/bench.h"
#include "core/common.h"
#include "runtime/dp.h"
#include "storage/storage.h"

#define TMO 120000 /* every call's bound, ms (a 1 GiB swap through S3 included) */
#define PAGE 4096

static const char usage[] =
    "Usage: invoke_bench --only rtt|chain|swap --process-bin PATH --library PATH [OPTIONS]\n"
    "Invocation round trip, chaining and swapping; CSV on stdout (bench/README-invoke.md).\n"
    "  --control URL      praas-control serving the library (rtt: client and control columns)\n"
    "  --redis URL        redis://HOST:PORT (chain, swap)\n"
    "  --s3 URL           s3://BUCKET (chain, swap; the S3 environment of src/storage/s3.c)\n"
    "  --file-dir DIR     the file storage directory, also the disk read (swap)\n"
    "  --stages K         pipeline length (default 4)\n"
    "  --max-session SIZE largest session swapped (default 1G)\n"
    "  --reps N           swaps per backend and size (default 3)\n"
    "  --configs LIST     rtt: the configurations to run, comma-separated (default all:\n"
    "                     raw-tcp,raw-tcp-proc,raw-tcp-poll,raw-tcp-handoff,direct-rt,\n"
    "                     direct-client,control)\n"
    "  --rounds R         rtt: each size's samples are taken in R rounds that visit\n"
    "                     every configuration in turn (default 5)\n";

static const char *only, *process_bin, *library, *control, *redis_url, *s3_url, *file_dir;
static const char *configs;
static int stages = 4, reps = 3, rounds = 5;
static size_t max_session = (size_t)1 << 30;
static bench_opts_t O;

static int extra(const char *name, const char *val)
{
    static const struct { const char *name; const char **p; } s[] = {
        {"--only", &only}, {"--process-bin", &process_bin}, {"--library", &library},
        {"--control", &control}, {"--redis", &redis_url}, {"--s3", &s3_url},
        {"--file-dir", &file_dir}, {"--configs", &configs}};

    if (!val)
        return -1;
    for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
        if (strcmp(name, s[i].name) == 0) {
            *s[i].p = val;
            return 2;
        }
    if (strcmp(name, "--stages") == 0 && (stages = atoi(val)) >= 1)
        return 2;
    if (strcmp(name, "--reps") == 0 && (reps = atoi(val)) >= 1)
        return 2;
    if (strcmp(name, "--rounds") == 0 && (rounds = atoi(val)) >= 1)
        return 2;
    if (strcmp(name, "--max-session") == 0 && bench_parse_size(val, &max_session) == 0)
        return 2;
    return -1;
}

static void die(const char *fmt, const char *what)
{
    fprintf(stderr, "invoke_bench: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, "\n");
    exit(1);
}

static void die_praas(const char *what, int rc)
{
    fprintf(stderr, "invoke_bench: %s: %s (%s)\n", what, praas_errmsg(), praas_err_name(rc));
    exit(1);
}

/* ---- measuring: one operation at one size, repeated ---- */

typedef int (*op_fn)(void *ctx, size_t size);

/* The samples of one configuration at one size, possibly taken in several
 * rounds between other configurations' (phase rtt), so that a machine that
 * changes speed during a run affects every configuration alike. */
struct series {
    const char *config;
    op_fn op;
    void *ctx;
    long n, want; /* samples taken, samples wanted */
    double *us;
};

/* Warm up, then decide how many timed repetitions fill the budget (within
 * [min_iters, max_iters]). */
static void series_warm(struct series *s, const char *opname, size_t size)
{
    uint64_t t0 = bench_now_ns();
    long w = O.warmup > 0 ? O.warmup : 1;

    for (long i = 0; i < w; i++)
        if (s->op(s->ctx, size))
            die("%s failed in the warm-up", opname);
    s->want = bench_iters_for(&O, (double)(bench_now_ns() - t0) / (double)w);
    s->n = 0;
    s->us = malloc(sizeof(double) * (size_t)s->want);
    if (!s->us)
        die("%s", "out of memory");
}

/* Take samples until s has `upto` of them (at most want). */
static void series_take(struct series *s, const char *opname, size_t size, long upto)
{
    for (; s->n < upto && s->n < s->want; s->n++) {
        uint64_t a = bench_now_ns();
        if (s->op(s->ctx, size))
            die("%s failed", opname);
        s->us[s->n] = (double)(bench_now_ns() - a) / 1e3;
    }
}

/* Print s's row and free its samples. bytes: what one operation moves
 * (for bw_MBps), 0 for none. */
static void series_row(struct series *s, const char *opname, size_t size, double bytes)
{
    bench_stats_t st;
    bench_stats(s->us, s->n, &st);
    long k = (long)(0.99 * (double)s->n + 0.999999) - 1; /* nearest rank */
    printf("%s,%s,%zu,%ld,%.3f,%.3f,%.3f,", s->config, opname, size, s->n, st.median,
           s->us[k < 0 ? 0 : k], st.min);
    if (bytes > 0)
        printf("%.4g", bench_mbps(bytes, st.median));
    printf("\n");
    fflush(stdout);
    free(s->us);
    s->us = NULL;
}

/* Warm up, then time enough repetitions of op to fill the budget; print
 * the row. */
static void measure(const char *config, const char *opname, op_fn op, void *ctx, size_t size,
                    double bytes)
{
    struct series s = {config, op, ctx, 0, 0, NULL};

    series_warm(&s, opname, size);
    series_take(&s, opname, size, s.want);
    series_row(&s, opname, size, bytes);
}

/* One row from samples taken elsewhere (swaps: reps samples). */
static void row(const char *config, const char *opname, size_t size, double *us, long n)
{
    bench_stats_t st;
    bench_stats(us, n, &st);
    long k = (long)(0.99 * (double)n + 0.999999) - 1;
    printf("%s,%s,%zu,%ld,%.3f,%.3f,%.3f,%.4g\n", config, opname, size, n, st.median,
           us[k < 0 ? 0 : k], st.min, bench_mbps((double)size, st.median));
    fflush(stdout);
}

/* ---- praas-process ---- */

struct proc {
    pid_t pid;
    int in_fd;
    char ep[300];
    struct rt_conn *c;
};

static uint64_t g_id = 1;

/* Start praas-process with the library and a storage URL, read its
 * endpoint line (30 s) and connect. */
static void proc_start(struct proc *p, const char *storage)
{
    int out[2], in[2];
    char line[400];
    size_t n = 0;

    if (pipe(out) || pipe(in))
        die("%s", "pipe");
    p->pid = fork();
    if (p->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        execl(process_bin, process_bin, "--library", library, "--storage", storage,
              "--exit-on-stdin-eof", "--max-payload", "64M", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    p->in_fd = in[1];
    uint64_t deadline = core_deadline(30000);
    while (n < sizeof(line) - 1 && !core_expired(deadline)) {
        struct pollfd pf = {.fd = out[0], .events = POLLIN};
        if (poll(&pf, 1, 100) <= 0)
            continue;
        if (read(out[0], line + n, 1) <= 0 || line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    close(out[0]);
    if (strncmp(line, "endpoint ", 9) != 0)
        die("praas-process printed '%s' instead of its endpoint", line);
    snprintf(p->ep, sizeof(p->ep), "%.290s", line + 9);
    int rc = rt_conn_open(p->ep, TMO, &p->c);
    if (rc)
        die_praas("rt_conn_open", rc);
}

/* Close its stdin (it exits) and wait 10 s, then kill it. */
static void proc_stop(struct proc *p)
{
    int st;

    rt_conn_close(p->c);
    close(p->in_fd);
    for (int i = 0; i < 1000; i++) {
        if (waitpid(p->pid, &st, WNOHANG) == p->pid)
            return;
        poll(NULL, 0, 10);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, &st, 0);
}

static int invoke(struct rt_conn *c, const char *fn, const void *p, size_t n, void **out_p,
                  size_t *len_p)
{
    return rt_conn_call(c, RT_MSG_INVOKE, g_id++, fn, NULL, p, n, TMO, NULL, out_p, len_p);
}

/* A session sid of memory bytes on p, bound to p's connection. */
static void session(struct proc *p, const char *sid, size_t memory)
{
    int rc = rt_sub_alloc(p->c, sid, memory, 1, TMO);
    if (rc == 0)
        rc = rt_conn_call(p->c, RT_MSG_HELLO, g_id++, sid, NULL, NULL, 0, TMO, NULL, NULL,
                          NULL);
    if (rc)
        die_praas("allocating a session", rc);
}

/* ---- rtt ---- */

static const size_t rtt_sizes[] = {1, 64, 1024, 16384, 262144, 1 << 20, 4 << 20, 16 << 20};

static int set_timeouts(int fd)
{
    struct timeval tv = {.tv_sec = 30};
    int one = 1;

    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
           setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
           setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Move exactly n bytes with blocking send/recv; with poll_mode, a recv
 * that would wait first polls (non-blocking recv without sleeping, giving
 * the core to any thread that wants it between tries) for up to
 * RAW_POLL_NS, as praas's data plane does (PRAAS_DP_SPIN_US), so that an
 * idle end sleeps instead of taking a core from the other configurations. */
#define RAW_POLL_NS 50000u

static int io_all_mode(int fd, void *buf, size_t n, int wr, int poll_mode)
{
    char *b = buf;
    uint64_t t0 = 0;

    for (unsigned i = 1; n > 0; i++) {
        int flags = wr ? MSG_NOSIGNAL : poll_mode && (!t0 || (i & 7) || bench_now_ns() - t0 <
                                                              RAW_POLL_NS) ? MSG_DONTWAIT : 0;
        ssize_t k = wr ? send(fd, b, n, flags) : recv(fd, b, n, flags);
        if (k < 0 && (flags & MSG_DONTWAIT) && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!t0)
                t0 = bench_now_ns();
            sched_yield(); /* as praas's data plane does */
            continue;
        }
        if (k <= 0)
            return -1;
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

static int io_all(int fd, void *buf, size_t n, int wr)
{
    return io_all_mode(fd, buf, n, wr, 0);
}

/* raw-tcp-handoff: the reader hands each message to a second thread that
 * sends it back (condition variable, no spinning), the thread structure of
 * praas-process (connection reader, function thread) without its framing. */
#define RAW_HANDOFF (1ull << 63)
/* raw-tcp-poll: both ends wait for data by polling (non-blocking recv in a
 * loop), never sleeping: the floor for a data plane that polls. */
#define RAW_POLL (1ull << 62)

struct handoff {
    pthread_mutex_t m;
    pthread_cond_t cv;
    int fd, pending, quit;
    char *buf;
    size_t n;
};

static void *handoff_main(void *arg)
{
    struct handoff *h = arg;

    pthread_mutex_lock(&h->m);
    for (;;) {
        while (!h->pending && !h->quit)
            pthread_cond_wait(&h->cv, &h->m);
        if (!h->pending)
            break;
        h->pending = 0;
        pthread_mutex_unlock(&h->m);
        io_all(h->fd, h->buf, h->n, 1);
        pthread_mutex_lock(&h->m);
    }
    pthread_mutex_unlock(&h->m);
    return NULL;
}

/* One echo connection: read the size (8 bytes, untimed, RAW_HANDOFF set
 * for the hand-off variant), then read N bytes and send them back until
 * the client closes. */
static void *raw_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    uint64_t n;

    if (set_timeouts(fd) == 0 && io_all(fd, &n, 8, 0) == 0) {
        int ho = !!(n & RAW_HANDOFF), pm = !!(n & RAW_POLL);
        n &= ~(RAW_HANDOFF | RAW_POLL);
        char *buf = malloc(n);
        struct handoff h = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, fd, 0, 0,
                            buf, n};
        pthread_t t;
        if (!ho) {
            while (buf && io_all_mode(fd, buf, n, 0, pm) == 0 && io_all(fd, buf, n, 1) == 0)
                ;
        } else if (buf && pthread_create(&t, NULL, handoff_main, &h) == 0) {
            while (io_all(fd, buf, n, 0) == 0) {
                pthread_mutex_lock(&h.m);
                h.pending = 1;
                pthread_cond_signal(&h.cv);
                pthread_mutex_unlock(&h.m);
            }
            pthread_mutex_lock(&h.m);
            h.quit = 1;
            pthread_cond_signal(&h.cv);
            pthread_mutex_unlock(&h.m);
            pthread_join(t, NULL);
        }
        free(buf);
    }
    close(fd);
    return NULL;
}

/* The echo server: a thread per connection (configurations interleave,
 * so several connections are open at once). */
static void *raw_server(void *arg)
{
    int lfd = *(int *)arg;

    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        pthread_t t;
        if (fd < 0)
            return NULL;
        if (pthread_create(&t, NULL, raw_conn, (void *)(intptr_t)fd) == 0)
            pthread_detach(t);
        else
            close(fd);
    }
}

static int raw_connect(const struct sockaddr_in *a, uint64_t n)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0 || set_timeouts(fd) || connect(fd, (const struct sockaddr *)a, sizeof(*a)) ||
        io_all(fd, &n, 8, 1))
        die("%s", "connecting to the raw TCP echo server");
    return fd;
}

struct raw { int fd; char *out, *in; int poll; };

static int raw_op(void *ctx, size_t n)
{
    struct raw *r = ctx;
    return io_all(r->fd, r->out, n, 1) || io_all_mode(r->fd, r->in, n, 0, r->poll) ||
           r->in[n - 1] != r->out[n - 1];
}

struct rtc { struct rt_conn *c; const char *payload; };

static int rt_op(void *ctx, size_t n)
{
    struct rtc *r = ctx;
    void *out = NULL;
    size_t len = 0;
    int rc = invoke(r->c, "echo", r->payload, n, &out, &len);

    rc = rc ? rc : len != n || ((char *)out)[0] != r->payload[0] ||
                   ((char *)out)[n - 1] != r->payload[n - 1];
    free(out);
    return rc;
}

struct cli { praas_client_t *cl; const char *sid; const char *payload; unsigned flags; };

static int cli_op(void *ctx, size_t n)
{
    struct cli *c = ctx;
    praas_invoke_opts_t o = {.flags = c->flags}; /* the default timeout: no meta on the wire */
    praas_result_t r;
    int rc = praas_invoke(c->cl, c->sid, "echo", c->payload, n, &o, &r);

    if (rc) {
        fprintf(stderr, "invoke_bench: praas_invoke: %s\n", praas_errmsg());
        return rc;
    }
    /* The column must be what it says: direct or through the control plane. */
    rc = r.len != n || ((char *)r.data)[0] != c->payload[0] ||
         ((char *)r.data)[n - 1] != c->payload[n - 1] ||
         r.direct != !(c->flags & PRAAS_INVOKE_VIA_CONTROL);
    if (rc)
        fprintf(stderr, "invoke_bench: wrong result (len %zu of %zu, direct %d)\n", r.len, n,
                r.direct);
    praas_result_free(&r);
    return rc;
}

/* raw-tcp-proc: the echo server in a child process, as praas-process is
 * for the direct configurations (a thread of this program, raw-tcp, is
 * woken differently: no address-space switch). It dies with us. */
static pid_t raw_proc_start(int lfd)
{
    pid_t pid = fork();

    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        raw_server(&lfd);
        _exit(0);
    }
    if (pid < 0)
        die("%s", "fork for the raw TCP echo process");
    return pid;
}

static int listen_loopback(struct sockaddr_in *a)
{
    socklen_t alen = sizeof(*a);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);

    *a = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (lfd < 0 || bind(lfd, (struct sockaddr *)a, sizeof(*a)) || listen(lfd, 4) ||
        getsockname(lfd, (struct sockaddr *)a, &alen))
        die("%s", "a loopback listening socket");
    return lfd;
}

/* Whether configuration name is in --configs (all when not given). */
static int config_on(const char *name)
{
    size_t n = strlen(name);

    if (!configs)
        return 1;
    for (const char *p = configs; (p = strstr(p, name)) != NULL; p += n)
        if ((p == configs || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return 1;
    return 0;
}

enum { RAW_THREAD, RAW_PROC, RAW_POLL_CFG, RAW_HANDOFF_CFG, DIRECT_RT, DIRECT_CLIENT, VIA_CONTROL,
       NCFG };

static void phase_rtt(void)
{
    static const char *const names[NCFG] = {"raw-tcp",   "raw-tcp-proc",  "raw-tcp-poll",
                                            "raw-tcp-handoff", "direct-rt", "direct-client",
                                            "control"};
    size_t max = O.max_size < ((size_t)16 << 20) ? O.max_size : (size_t)16 << 20;
    char *payload = malloc(max), *in = malloc(max);
    struct proc p;
    struct sockaddr_in a, ap;
    pthread_t th;

    if (!payload || !in)
        die("%s", "out of memory");
    for (size_t i = 0; i < max; i++)
        payload[i] = (char)(i * 131 + 7);
    /* The echo process first, before this program has threads. */
    int lfd_proc = listen_loopback(&ap);
    pid_t echo_pid = raw_proc_start(lfd_proc);
    close(lfd_proc);
    int lfd = listen_loopback(&a);
    if (pthread_create(&th, NULL, raw_server, &lfd))
        die("%s", "the raw TCP echo thread");

    proc_start(&p, "file:///tmp/praas-invoke-bench-unused");
    session(&p, "rtt", 1 << 20);
    struct rtc rc_ctx = {p.c, payload};

    praas_client_t *cl = NULL;
    char pid_s[PRAAS_ID_MAX];
    praas_session_info_t info;
    struct cli direct = {0}, via = {0};
    if (control) {
        int rc = praas_client_open(control, &cl);
        if (rc == 0)
            rc = praas_process_create(cl, NULL, library, NULL, pid_s);
        if (rc == 0)
            rc = praas_session_alloc(cl, pid_s, 1 << 20, &info);
        if (rc)
            die_praas("the control plane", rc);
        direct = (struct cli){cl, info.id, payload, 0};
        via = (struct cli){cl, info.id, payload, PRAAS_INVOKE_VIA_CONTROL};
        /* The first call goes through the control plane and opens the
         * direct connection that the later ones use. */
        praas_result_t r;
        if ((rc = praas_invoke(cl, info.id, "echo", "x", 1, NULL, &r)) != 0)
            die_praas("the first invocation", rc);
        praas_result_free(&r);
    }

    for (size_t i = 0; i < sizeof(rtt_sizes) / sizeof(rtt_sizes[0]); i++) {
        size_t n = rtt_sizes[i];
        if (n < O.min_size && n != 1)
            continue;
        if (n > max)
            break;
        struct raw raws[4] = {{-1, payload, in, 0}, {-1, payload, in, 0}, {-1, payload, in, 1},
                              {-1, payload, in, 0}};
        struct series s[NCFG] = {
            {names[RAW_THREAD], raw_op, &raws[0], 0, 0, NULL},
            {names[RAW_PROC], raw_op, &raws[1], 0, 0, NULL},
            {names[RAW_POLL_CFG], raw_op, &raws[2], 0, 0, NULL},
            {names[RAW_HANDOFF_CFG], raw_op, &raws[3], 0, 0, NULL},
            {names[DIRECT_RT], rt_op, &rc_ctx, 0, 0, NULL},
            {names[DIRECT_CLIENT], cli_op, &direct, 0, 0, NULL},
            {names[VIA_CONTROL], cli_op, &via, 0, 0, NULL}};
        int on[NCFG];
        for (int k = 0; k < NCFG; k++)
            on[k] = config_on(names[k]) && (k < DIRECT_CLIENT || control);
        if (on[RAW_THREAD])
            raws[0].fd = raw_connect(&a, n);
        if (on[RAW_PROC])
            raws[1].fd = raw_connect(&ap, n);
        if (on[RAW_POLL_CFG])
            raws[2].fd = raw_connect(&ap, n | RAW_POLL);
        if (on[RAW_HANDOFF_CFG])
            raws[3].fd = raw_connect(&a, n | RAW_HANDOFF);
        for (int k = 0; k < NCFG; k++)
            if (on[k])
                series_warm(&s[k], "rtt", n);
        /* Round r brings every configuration to r/rounds of its samples. */
        for (int r = 1; r <= rounds; r++)
            for (int k = 0; k < NCFG; k++)
                if (on[k])
                    series_take(&s[k], "rtt", n, (s[k].want * r + rounds - 1) / rounds);
        for (int k = 0; k < NCFG; k++)
            if (on[k])
                series_row(&s[k], "rtt", n, 2.0 * (double)n);
        for (int k = 0; k < 4; k++)
            if (raws[k].fd >= 0)
                close(raws[k].fd);
    }
    if (cl) {
        praas_process_delete(cl, pid_s);
        praas_client_close(cl);
    }
    shutdown(lfd, SHUT_RDWR);
    close(lfd);
    pthread_join(th, NULL);
    kill(echo_pid, SIGKILL);
    waitpid(echo_pid, NULL, 0);
    proc_stop(&p);
    free(payload);
    free(in);
}

/* ---- chain ---- */

/* What every stage does to its input (the same work in every config). */
static void work(const uint64_t *s, uint64_t *d, size_t len)
{
    for (size_t i = 0; i < len / 8; i++)
        d[i] = s[i] + 1;
}

struct chain {
    const char *name;
    struct rt_conn *c;    /* session */
    size_t region;        /* session: bytes between the two regions */
    redisContext *rd;     /* redis */
    st_t *st;             /* s3 */
    uint64_t *out;        /* redis, s3: a stage's output */
    unsigned long step;   /* stages run so far (alternates the two places) */
    uint64_t last;        /* the first word the last stage wrote */
    int checked;          /* last is known */
};

static char chain_key[2][64];

static int chain_check(struct chain *ch, uint64_t v)
{
    if (ch->checked && v != ch->last + 1) {
        fprintf(stderr, "invoke_bench: %s stage %lu wrote %llu after %llu\n", ch->name,
                ch->step, (unsigned long long)v, (unsigned long long)ch->last);
        return -1;
    }
    ch->last = v;
    ch->checked = 1;
    ch->step++;
    return 0;
}

static int chain_op(void *ctx, size_t n)
{
    struct chain *ch = ctx;

    for (int k = 0; k < stages; k++) {
        int from = (int)(ch->step % 2), rc = 0;
        uint64_t v = 0;
        if (ch->c) {
            uint64_t arg[4] = {PAGE + (uint64_t)from * ch->region,
                               PAGE + (uint64_t)!from * ch->region, n, 1};
            void *out = NULL;
            size_t len = 0;
            rc = invoke(ch->c, "stage", arg, sizeof(arg), &out, &len);
            if (rc == 0 && len == 8)
                memcpy(&v, out, 8);
            free(out);
        } else if (ch->rd) {
            redisReply *r = redisCommand(ch->rd, "GET %s", chain_key[from]);
            if (!r || r->type != REDIS_REPLY_STRING || (size_t)r->len != n) {
                fprintf(stderr, "invoke_bench: redis GET: %s\n", r ? r->str : ch->rd->errstr);
                rc = -1;
            } else {
                work((const uint64_t *)r->str, ch->out, n);
            }
            freeReplyObject(r);
            r = rc ? NULL : redisCommand(ch->rd, "SET %s %b", chain_key[!from], ch->out, n);
            if (!rc && (!r || r->type == REDIS_REPLY_ERROR))
                rc = -1;
            freeReplyObject(r);
            v = ch->out[0];
        } else {
            void *in = NULL;
            size_t len = 0;
            rc = st_get(ch->st, chain_key[from], &in, &len);
            if (rc == 0 && len == n) {
                work(in, ch->out, n);
                rc = st_put(ch->st, chain_key[!from], ch->out, n);
            } else if (rc == 0) {
                rc = -1;
            }
            if (rc)
                fprintf(stderr, "invoke_bench: s3: %s\n", praas_errmsg());
            free(in);
            v = ch->out[0];
        }
        if (rc || chain_check(ch, v))
            return -1;
    }
    return 0;
}

static void phase_chain(void)
{
    size_t max = O.max_size < ((size_t)16 << 20) ? O.max_size : (size_t)16 << 20;
    struct proc p;
    struct chain mem = {.name = "session"}, rd = {.name = "redis"}, s3 = {.name = "s3"};
    uint64_t *zero = calloc(1, max);

    snprintf(chain_key[0], sizeof(chain_key[0]), "invoke-bench-%d-a", (int)getpid());
    snprintf(chain_key[1], sizeof(chain_key[1]), "invoke-bench-%d-b", (int)getpid());
    proc_start(&p, "file:///tmp/praas-invoke-bench-unused");
    mem.region = max;
    session(&p, "chain", PAGE + 2 * max);
    mem.c = p.c;
    if (redis_url) {
        char host[256];
        int port;
        if (sscanf(redis_url, "redis://%255[^:]:%d", host, &port) != 2)
            die("--redis '%s' is not redis://HOST:PORT", redis_url);
        struct timeval tv = {.tv_sec = TMO / 1000};
        rd.rd = redisConnectWithTimeout(host, port, tv);
        if (!rd.rd || rd.rd->err || redisSetTimeout(rd.rd, tv) != REDIS_OK)
            die("cannot connect to %s", redis_url);
    }
    if (s3_url) {
        int rc = st_open(s3_url, &s3.st);
        if (rc)
            die_praas("opening the S3 storage", rc);
    }
    rd.out = malloc(max);
    s3.out = malloc(max);
    if (!zero || !rd.out || !s3.out)
        die("%s", "out of memory");

    for (size_t n = 1024; n <= max; n *= 4) {
        if (n < O.min_size)
            continue;
        double bytes = (double)n * stages;
        mem.checked = 0;
        measure("session", "chain", chain_op, &mem, n, bytes);
        if (rd.rd) {
            /* The first stage's input (untimed). */
            redisReply *r = redisCommand(rd.rd, "SET %s %b", chain_key[rd.step % 2], zero, n);
            if (!r || r->type == REDIS_REPLY_ERROR)
                die("%s", "redis SET of the first input");
            freeReplyObject(r);
            rd.checked = 0;
            measure("redis", "chain", chain_op, &rd, n, bytes);
        }
        if (s3.st) {
            int rc = st_put(s3.st, chain_key[s3.step % 2], zero, n);
            if (rc)
                die_praas("S3 PUT of the first input", rc);
            s3.checked = 0;
            measure("s3", "chain", chain_op, &s3, n, bytes);
        }
    }
    if (rd.rd) {
        redisReply *r = redisCommand(rd.rd, "DEL %s %s", chain_key[0], chain_key[1]);
        freeReplyObject(r);
        redisFree(rd.rd);
    }
    if (s3.st) {
        st_del(s3.st, chain_key[0]);
        st_del(s3.st, chain_key[1]);
        st_close(s3.st);
    }
    proc_stop(&p);
    free(zero);
    free(rd.out);
    free(s3.out);
}

/* ---- swap ---- */

/* Drop a file's pages from the page cache (clean pages: fsync first); the
 * fraction of its pages still resident after, or -1 if unknown. */
static double drop_cache(const char *path)
{
    int fd = open(path, O_RDONLY);
    struct stat sb;
    double frac = -1;

    if (fd < 0)
        return -1;
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    if (fstat(fd, &sb) == 0 && sb.st_size > 0) {
        size_t pages = ((size_t)sb.st_size + PAGE - 1) / PAGE, res = 0;
        void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
        unsigned char *v = malloc(pages);
        if (m != MAP_FAILED && v && mincore(m, (size_t)sb.st_size, v) == 0) {
            for (size_t i = 0; i < pages; i++)
                res += v[i] & 1;
            frac = (double)res / (double)pages;
        }
        if (m != MAP_FAILED)
            munmap(m, (size_t)sb.st_size);
        free(v);
    }
    close(fd);
    return frac;
}

static uint64_t mem_checksum(struct rt_conn *c)
{
    void *out = NULL;
    size_t len = 0;
    uint64_t h = 0;
    int rc = invoke(c, "checksum", NULL, 0, &out, &len);

    if (rc || len != 8)
        die_praas("checksum", rc);
    memcpy(&h, out, 8);
    free(out);
    return h;
}

static double since_us(uint64_t t0)
{
    return (double)(bench_now_ns() - t0) / 1e3;
}

/* The disk: write a file of n bytes in dir, drop it, time reading it; then
 * read it again from the page cache. */
static void disk_read(size_t n)
{
    char path[1100];
    double cold[16], warm[16], res = 0;
    size_t chunk = (size_t)8 << 20;
    char *buf = malloc(chunk);

    snprintf(path, sizeof(path), "%s/invoke-bench-disk-%d", file_dir, (int)getpid());
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (fd < 0 || !buf)
        die("cannot write %s", path);
    memset(buf, 0x5a, chunk);
    for (size_t off = 0; off < n; off += chunk)
        if (write(fd, buf, n - off < chunk ? n - off : chunk) < 0)
            die("cannot write %s", path);
    close(fd);
    int r = reps < 16 ? reps : 16;
    for (int i = 0; i < r; i++) {
        double f = drop_cache(path);
        res = f > res ? f : res;
        for (int pass = 0; pass < 2; pass++) {
            uint64_t t0 = bench_now_ns();
            fd = open(path, O_RDONLY);
            size_t got = 0;
            ssize_t k;
            while (fd >= 0 && (k = read(fd, buf, chunk)) > 0)
                got += (size_t)k;
            if (fd < 0 || got != n)
                die("cannot read %s", path);
            close(fd);
            (pass ? warm : cold)[i] = since_us(t0);
        }
    }
    printf("# disk-read-cold %zu: at most %.1f%% of the pages were still cached\n", n,
           res * 100);
    row("disk", "disk-read-cold", n, cold, r);
    row("disk", "disk-read-warm", n, warm, r);
    unlink(path);
    free(buf);
}

static void swap_backend(const char *name, const char *url, int fresh)
{
    struct proc p;
    st_t *st = NULL;
    int rc;

    proc_start(&p, url);
    if ((rc = st_open(url, &st)) != 0)
        die_praas("opening the storage", rc);
    for (size_t m = (size_t)1 << 20; m <= max_session; m *= (m < (16u << 20) ? 16 : 4)) {
        int r = reps < 16 ? reps : 16;
        double out_us[16], in_us[16], alloc_us[16], fill_us[16], res = 0;
        for (int i = 0; i < r; i++) {
            char sid[64], key[128], path[1400];
            uint64_t seed = 1234 + (uint64_t)i;
            snprintf(sid, sizeof(sid), "swap-%zu-%d", m, i);
            snprintf(key, sizeof(key), "invoke-bench-%d/%s", (int)getpid(), sid);
            uint64_t t0 = bench_now_ns();
            if ((rc = rt_sub_alloc(p.c, sid, m, 1, TMO)) != 0)
                die_praas("alloc", rc);
            alloc_us[i] = since_us(t0);
            if ((rc = rt_conn_call(p.c, RT_MSG_HELLO, g_id++, sid, NULL, NULL, 0, TMO, NULL,
                                   NULL, NULL)) != 0 ||
                (rc = invoke(p.c, "fill", &seed, 8, NULL, NULL)) != 0)
                die_praas("fill", rc);
            fill_us[i] = since_us(t0);
            uint64_t before = mem_checksum(p.c);
            t0 = bench_now_ns();
            if ((rc = rt_sub_swap_out(p.c, sid, key, TMO, NULL)) != 0)
                die_praas("swap out", rc);
            out_us[i] = since_us(t0);
            if (strcmp(name, "file") == 0) {
                snprintf(path, sizeof(path), "%s/%s/memory#", file_dir, key);
                double f = drop_cache(path);
                res = f > res ? f : res;
            }
            t0 = bench_now_ns();
            if ((rc = rt_sub_swap_in(p.c, sid, key, m, 1, TMO)) != 0)
                die_praas("swap in", rc);
            in_us[i] = since_us(t0);
            if (mem_checksum(p.c) != before)
                die("the memory of %s changed across the swap", sid);
            if ((rc = rt_sub_delete(p.c, sid, TMO)) != 0)
                die_praas("delete", rc);
            snprintf(path, sizeof(path), "%s/memory", key);
            st_del(st, path);
            snprintf(path, sizeof(path), "%s/meta", key);
            st_del(st, path);
        }
        if (strcmp(name, "file") == 0)
            printf("# swap-in file %zu: at most %.1f%% of the pages were still cached\n", m,
                   res * 100);
        row(name, "swap-out", m, out_us, r);
        row(name, "swap-in", m, in_us, r);
        if (fresh) {
            row("fresh", "alloc", m, alloc_us, r);
            row("fresh", "alloc+fill", m, fill_us, r);
            disk_read(m);
        }
    }
    st_close(st);
    proc_stop(&p);
}

static void phase_swap(void)
{
    char url[1100];

    if (!file_dir)
        die("%s", "swap needs --file-dir");
    snprintf(url, sizeof(url), "file://%s", file_dir);
    swap_backend("file", url, 1);
    if (redis_url)
        swap_backend("redis", redis_url, 0);
    if (s3_url)
        swap_backend("s3", s3_url, 0);
}

int main(int argc, char **argv)
{
    if (bench_parse(argc, argv, usage, extra, &O))
        return 2;
    if (!only || !process_bin || !library) {
        fprintf(stderr, "invoke_bench: --only, --process-bin and --library are required\n%s",
                usage);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (O.header)
        printf("config,op,size,iters,lat_us_median,lat_us_p99,lat_us_min,bw_MBps\n");
    if (strcmp(only, "rtt") == 0)
        phase_rtt();
    else if (strcmp(only, "chain") == 0)
        phase_chain();
    else if (strcmp(only, "swap") == 0)
        phase_swap();
    else
        die("--only '%s' is not rtt, chain or swap", only);
    return 0;
}
