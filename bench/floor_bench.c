/*
 * The floor under the transports: what the machine itself does, measured
 * in the same run as tp_bench so that both see the same load.
 *
 * - tcp-loopback-poll, tcp-loopback-block: a TCP ping-pong over 127.0.0.1
 *   between this process and a forked child (TCP_NODELAY). Latency is half
 *   a round trip; bandwidth is a stream of a window of messages answered by
 *   one byte. "poll" spins on non-blocking sockets, "block" sleeps in
 *   blocking recv()/send() (a wake-up per hop, TRANSPORTS.md: 25-35 us).
 * - memcpy: memcpy between two buffers that stay in cache as far as their
 *   size allows. memcpy-cold: each copy reads and writes memory not touched
 *   for 256 MiB of copies, so it comes from DRAM whatever the size.
 *
 * No praas here: this program links only bench.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"

#define COLD_POOL ((size_t)256 << 20)
#define PAGE 4096
/* A memcpy sample is the mean of a batch at least this long, so that the
 * clock's own cost (tens of ns) does not swamp an 8-byte copy. */
#define MEMCPY_BATCH_NS 20000.0
/* How long the connection is exercised before the first timed ping-pong. */
#define WARM_NS 300000000u

enum floor_op { FLOOR_QUIT, FLOOR_PINGPONG, FLOOR_STREAM };
enum floor_mode { FLOOR_POLL, FLOOR_BLOCK };

/* What the parent asks of the child before each batch. */
typedef struct floor_cmd {
    uint32_t op;    /* enum floor_op */
    uint32_t mode;  /* enum floor_mode */
    uint64_t size;  /* message size */
    uint64_t count; /* round trips, or stream samples */
    uint64_t window;
} floor_cmd_t;

static const char usage[] =
    "Usage: floor_bench [OPTIONS]\n"
    "Loopback TCP ping-pong and memcpy, the floors under tp_bench; CSV on stdout.\n"
    "  --only tcp|memcpy  run only one of the two\n";

static const char *only;

static int floor_extra(const char *name, const char *val)
{
    if (strcmp(name, "--only") == 0 && val &&
        (strcmp(val, "tcp") == 0 || strcmp(val, "memcpy") == 0)) {
        only = val;
        return 2;
    }
    return -1;
}

static void die(const char *what)
{
    fprintf(stderr, "floor_bench: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* ---- TCP ---- */

static void set_mode(int fd, enum floor_mode mode)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0 || fcntl(fd, F_SETFL, mode == FLOOR_POLL ? fl | O_NONBLOCK : fl & ~O_NONBLOCK))
        die("fcntl");
}

/* Send or receive exactly len bytes, spinning on EAGAIN when the socket is
 * non-blocking. Returns 0, or -1 when the peer closed. Like tp_comp_wait(),
 * the spin yields the CPU every 16 empty polls: on a 2-core machine shared
 * with other work, a pure spin loses whole scheduler ticks (4 ms) whenever
 * the peer needs the core it holds. */
static int xfer_all(int fd, void *buf, size_t len, int sending)
{
    unsigned spins = 0;
    char *p = buf;

    while (len) {
        ssize_t n = sending ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
        } else if (n == 0) {
            return -1;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            return -1;
        } else if ((++spins & 0xf) == 0) {
            sched_yield();
        }
    }
    return 0;
}

static int send_all(int fd, const void *buf, size_t len)
{
    return xfer_all(fd, (void *)buf, len, 1);
}

static int recv_all(int fd, void *buf, size_t len)
{
    return xfer_all(fd, buf, len, 0);
}

/* The child: obey commands until told to quit or the parent goes away. */
static void echo_server(int fd, size_t max_size)
{
    char *buf = malloc(max_size), ack = 'k';
    floor_cmd_t c;

    if (!buf)
        _exit(1);
    while (recv_all(fd, &c, sizeof(c)) == 0 && c.op != FLOOR_QUIT) {
        set_mode(fd, (enum floor_mode)c.mode);
        for (uint64_t i = 0; i < c.count; i++) {
            if (c.op == FLOOR_PINGPONG) {
                if (recv_all(fd, buf, c.size) || send_all(fd, buf, c.size))
                    _exit(1);
                continue;
            }
            for (uint64_t w = 0; w < c.window; w++)
                if (recv_all(fd, buf, c.size))
                    _exit(1);
            if (send_all(fd, &ack, 1))
                _exit(1);
        }
    }
    _exit(0);
}

/* Returns the parent's end of a loopback TCP connection to a forked echo
 * server; *child_p is its pid. */
static int tcp_setup(size_t max_size, pid_t *child_p)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int lfd, fd, one = 1;
    pid_t pid;

    lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1) ||
        getsockname(lfd, (struct sockaddr *)&a, &alen))
        die("loopback listener");
    pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        int cfd = socket(AF_INET, SOCK_STREAM, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        close(lfd);
        if (cfd < 0 || connect(cfd, (struct sockaddr *)&a, sizeof(a)))
            _exit(1);
        setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        echo_server(cfd, max_size);
    }
    fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        die("accept");
    close(lfd);
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
        die("TCP_NODELAY");
    *child_p = pid;
    return fd;
}

static void command(int fd, enum floor_op op, enum floor_mode mode, size_t size, long count,
                    int window)
{
    floor_cmd_t c = {.op = op, .mode = mode, .size = size, .count = (uint64_t)count,
                     .window = (uint64_t)window};

    if (send_all(fd, &c, sizeof(c)))
        die("command to the echo server");
    set_mode(fd, mode);
}

/* count round trips of size bytes; samples_us (may be NULL) gets half of
 * each. Returns the total time in ns. */
static double pingpong(int fd, enum floor_mode mode, char *buf, size_t size, long count,
                       double *samples_us)
{
    uint64_t start = bench_now_ns();

    command(fd, FLOOR_PINGPONG, mode, size, count, 0);
    for (long i = 0; i < count; i++) {
        uint64_t t0 = bench_now_ns();
        if (send_all(fd, buf, size) || recv_all(fd, buf, size))
            die("ping-pong: the echo server went away");
        if (samples_us)
            samples_us[i] = (double)(bench_now_ns() - t0) / 2000.0;
    }
    return (double)(bench_now_ns() - start);
}

/* count samples of window messages answered by one byte. */
static double stream(int fd, enum floor_mode mode, char *buf, size_t size, int window,
                     long count, double *samples_us)
{
    uint64_t start = bench_now_ns();
    char ack;

    command(fd, FLOOR_STREAM, mode, size, count, window);
    for (long i = 0; i < count; i++) {
        uint64_t t0 = bench_now_ns();
        for (int w = 0; w < window; w++)
            if (send_all(fd, buf, size))
                die("stream: the echo server went away");
        if (recv_all(fd, &ack, 1))
            die("stream: the echo server went away");
        if (samples_us)
            samples_us[i] = (double)(bench_now_ns() - t0) / 1000.0;
    }
    return (double)(bench_now_ns() - start);
}

static void run_tcp(const bench_opts_t *o, double *samples)
{
    static const char *const names[] = {"tcp-loopback-poll", "tcp-loopback-block"};
    char *buf = calloc(1, o->max_size);
    pid_t child;
    int fd = tcp_setup(o->max_size, &child), status;

    if (!buf)
        die("buffer");
    /* Until the scheduler has put the two spinning processes on different
     * cores, every hop is a context switch: play ping-pong before timing. */
    for (uint64_t end = bench_now_ns() + WARM_NS; bench_now_ns() < end;)
        pingpong(fd, FLOOR_POLL, buf, o->min_size, 100, NULL);
    for (int mode = FLOOR_POLL; mode <= FLOOR_BLOCK; mode++) {
        for (size_t size = o->min_size; size; size = bench_next_size(o, size)) {
            long warm = o->warmup > 3 ? o->warmup : 3, n, reps;
            int window = bench_window(o, size);
            bench_stats_t lat, bw;

            /* The warm-up doubles as the pilot that sizes the run; its
             * median, not its mean, so that one stall does not shrink it. */
            pingpong(fd, mode, buf, size, warm, samples);
            bench_stats(samples, warm, &lat);
            n = bench_iters_for(o, lat.median * 2000.0);
            pingpong(fd, mode, buf, size, n, samples);
            bench_stats(samples, n, &lat);

            stream(fd, mode, buf, size, window, 3, samples);
            bench_stats(samples, 3, &bw);
            reps = bench_iters_for(o, bw.median * 1000.0);
            stream(fd, mode, buf, size, window, reps, samples);
            bench_stats(samples, reps, &bw);
            bench_row(names[mode], "pingpong", size, n, &lat,
                      bench_mbps((double)size * window, bw.median));
        }
    }
    command(fd, FLOOR_QUIT, FLOOR_BLOCK, 0, 0, 0);
    close(fd);
    waitpid(child, &status, 0);
    free(buf);
}

/* ---- memcpy ---- */

/* Copy size bytes batch times; cold copies walk through the pools so that
 * nothing they touch was touched in the last COLD_POOL bytes. Returns the
 * time in ns. */
static double copy_batch(char *dst, const char *src, size_t size, size_t pool, size_t *pos,
                         long batch)
{
    size_t stride = (size + PAGE - 1) / PAGE * PAGE;
    uint64_t t0 = bench_now_ns();

    for (long i = 0; i < batch; i++) {
        if (*pos + size > pool)
            *pos = 0;
        memcpy(dst + *pos, src + *pos, size);
        bench_clobber(dst + *pos);
        if (pool > size)
            *pos += stride;
    }
    return (double)(bench_now_ns() - t0);
}

static void run_memcpy(const bench_opts_t *o, double *samples, int cold)
{
    size_t pool = cold ? COLD_POOL : o->max_size, pos = 0;
    char *src = aligned_alloc(PAGE, pool), *dst = aligned_alloc(PAGE, pool);

    if (!src || !dst)
        die("memcpy buffers");
    /* Touch every page so that first-touch faults are not timed. */
    memset(src, 1, pool);
    memset(dst, 2, pool);
    for (size_t size = o->min_size; size; size = bench_next_size(o, size)) {
        long batch, n;
        bench_stats_t st;
        double t;

        /* Pilot: the fastest of three warm-up batches, per copy. */
        t = 1e18;
        for (int k = 0; k < 3; k++) {
            long w = o->warmup > 1 ? o->warmup : 1;
            double tk = copy_batch(dst, src, size, pool, &pos, w) / (double)w;
            t = tk < t ? tk : t;
        }
        batch = t > 0 && t < MEMCPY_BATCH_NS ? (long)(MEMCPY_BATCH_NS / t) + 1 : 1;
        n = bench_iters_for(o, t * (double)batch);
        for (long i = 0; i < n; i++)
            samples[i] = copy_batch(dst, src, size, pool, &pos, batch) / (double)batch / 1000.0;
        bench_stats(samples, n, &st);
        bench_row(cold ? "memcpy-cold" : "memcpy", "copy", size, n, &st,
                  bench_mbps((double)size, st.median));
    }
    free(src);
    free(dst);
}

int main(int argc, char **argv)
{
    bench_opts_t o;
    double *samples;

    if (bench_parse(argc, argv, usage, floor_extra, &o))
        return 2;
    samples = malloc((size_t)(o.max_iters + o.warmup + 3) * sizeof(*samples));
    if (!samples)
        die("samples");
    if (o.header)
        puts(BENCH_CSV_HEADER);
    if (!only || strcmp(only, "tcp") == 0)
        run_tcp(&o, samples);
    if (!only || strcmp(only, "memcpy") == 0) {
        run_memcpy(&o, samples, 0);
        run_memcpy(&o, samples, 1);
    }
    free(samples);
    return 0;
}
