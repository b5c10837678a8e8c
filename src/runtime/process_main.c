/*
 * The body of praas-process, a subprocess that hosts sessions and runs the
 * functions of one shared object (doc/invoke.md, praas-process(1)). It
 * lives in libpraas, exported as praas_process_main, and the command is a
 * one-line main (launcher/praas-process.c): so the functions it loads,
 * which link libpraas, share the one copy of praas it initialized, and the
 * library exports no name outside praas_* and MPI_*.
 *
 * Start-up: start the --prefetch thread (prefetch.c), which reads swapped
 * sessions from storage meanwhile; initialize praas, as a rank joining its
 * process's view when the executor says so (PRAAS_JOIN=1), else as a
 * single worker (so functions may use the praas API and session memory is
 * registered with the transport), load the library, open the storage, listen, then write
 * exactly one line "endpoint HOST:PORT" to stdout for whoever started us
 * (the control plane's executor reads it from a pipe). Then serve until
 * SIGTERM or SIGINT, or until stdin reaches end of file with
 * --exit-on-stdin-eof.
 *
 * The signals are blocked before any thread starts and taken by one thread
 * with sigwait, so no handler runs inside the server's code.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <praas.h>

#include "core/config.h"
#include "runtime/rt.h"

#define EXIT_USAGE 2
#define RT_PREFETCH_MAX 64 /* --prefetch options */

static const char usage_text[] =
    "Usage: praas-process --library PATH [OPTION]...\n"
    "Host praas sessions and run the functions of the shared object PATH, serving\n"
    "the data plane (doc/invoke.md) on a TCP port.\n"
    "\n"
    "  --library PATH        the function library (a shared object; required)\n"
    "  --listen HOST:PORT    where to listen (default 127.0.0.1:0, any free port)\n"
    "  --storage URL         where swapped sessions go: file://DIR, s3://BUCKET[/PREFIX]\n"
    "                        or redis://HOST:PORT[/DB] (default $PRAAS_STORAGE, else\n"
    "                        file://$TMPDIR/praas-storage)\n"
    "  --max-functions N     function threads per session when the allocation does\n"
    "                        not say (default 4)\n"
    "  --max-payload BYTES   largest payload or result, with an optional K, M or G\n"
    "                        suffix (powers of 1024; default 1G)\n"
    "  --id NAME             a name for messages and PING replies\n"
    "  --grace MS            on shutdown, how long running functions may take to\n"
    "                        finish (default 10000)\n"
    "  --exit-on-stdin-eof   also shut down when standard input reaches end of file\n"
    "  --no-init             do not initialize praas (functions cannot use its API)\n"
    "  --prefetch KEY        read the swapped session stored under the key prefix KEY\n"
    "                        in the background while starting, for a later SWAP_IN\n"
    "                        of KEY (repeatable)\n"
    "  --help                print this help and exit\n"
    "  --version             print the version and exit\n"
    "\n"
    "Once listening it prints one line, 'endpoint HOST:PORT', to standard output.\n"
    "Exit status: 0 after a clean shutdown, 1 if it could not start or functions\n"
    "outlived the grace period, 2 for a bad option.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "praas-process: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'praas-process --help' for more information.\n");
    return EXIT_USAGE;
}

/* A positive integer up to max, digits only. Returns it or -1. */
static long parse_count(const char *s, long max)
{
    char *end;
    long v;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < 1 || v > max)
        return -1;
    return v;
}

/* 1 to 256 printable ASCII characters, no spaces (it goes into messages
 * and JSON). */
static int id_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 256)
        return 0;
    for (; *s; s++)
        if (*s < 0x21 || *s > 0x7e)
            return 0;
    return 1;
}

/* The server, and the lock under which the signal and stdin threads stop
 * it: main clears g_srv under the lock before it destroys the server, so a
 * signal arriving during shut-down finds nothing to stop. */
static struct rt_server *g_srv;
static pthread_mutex_t g_srv_lock = PTHREAD_MUTEX_INITIALIZER;

static void stop_server(void)
{
    pthread_mutex_lock(&g_srv_lock);
    if (g_srv)
        rt_server_stop(g_srv);
    pthread_mutex_unlock(&g_srv_lock);
}

static void *signal_main(void *arg)
{
    sigset_t *set = arg;
    int sig;

    while (sigwait(set, &sig) != 0)
        ;
    stop_server();
    return NULL;
}

static void *stdin_main(void *arg)
{
    char buf[256];

    (void)arg;
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
        if (n == 0 || (n < 0 && errno != EINTR))
            break;
    }
    stop_server();
    return NULL;
}

PRAAS_API int praas_process_main(int argc, char **argv)
{
    enum { O_LIBRARY = 256, O_LISTEN, O_STORAGE, O_MAXF, O_MAXP, O_ID, O_GRACE, O_STDIN,
           O_NOINIT, O_PREFETCH, O_HELP, O_VERSION };
    static const struct option longopts[] = {
        {"library", required_argument, NULL, O_LIBRARY},
        {"listen", required_argument, NULL, O_LISTEN},
        {"storage", required_argument, NULL, O_STORAGE},
        {"max-functions", required_argument, NULL, O_MAXF},
        {"max-payload", required_argument, NULL, O_MAXP},
        {"id", required_argument, NULL, O_ID},
        {"grace", required_argument, NULL, O_GRACE},
        {"exit-on-stdin-eof", no_argument, NULL, O_STDIN},
        {"no-init", no_argument, NULL, O_NOINIT},
        {"prefetch", required_argument, NULL, O_PREFETCH},
        {"help", no_argument, NULL, O_HELP},
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0},
    };
    struct rt_server_opts o = {0};
    const char *listen_at = "127.0.0.1:0";
    char ep[300];
    int opt, watch_stdin = 0, init = 1, inited = 0, rc, status = 0;
    long grace = 10000, v;
    size_t bytes;
    struct rt_server *srv;
    struct rt_prefetch *pf = NULL;
    const char *prefetch[RT_PREFETCH_MAX];
    int nprefetch = 0;
    sigset_t set;
    pthread_t sig_thread, in_thread;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case O_LIBRARY:
            o.library = optarg;
            break;
        case O_LISTEN:
            listen_at = optarg;
            break;
        case O_STORAGE:
            o.storage = optarg;
            break;
        case O_MAXF:
            if ((v = parse_count(optarg, 1024)) < 0)
                return usage_error("--max-functions '%s' is not a number from 1 to 1024", optarg);
            o.max_functions = (int)v;
            break;
        case O_MAXP:
            if (core_parse_bytes(optarg, 1, RT_PAYLOAD_MAX, &bytes) < 0)
                return usage_error("--max-payload '%s' is not a byte count from 1 to 4G", optarg);
            o.max_payload = bytes;
            break;
        case O_ID:
            if (!id_ok(optarg))
                return usage_error("--id '%s' is not 1 to 256 printable characters without "
                                   "spaces", optarg);
            o.id = optarg;
            break;
        case O_GRACE:
            if ((v = parse_count(optarg, 3600000)) < 0)
                return usage_error("--grace '%s' is not a number of milliseconds", optarg);
            grace = v;
            break;
        case O_STDIN:
            watch_stdin = 1;
            break;
        case O_NOINIT:
            init = 0;
            break;
        case O_PREFETCH:
            if (!*optarg || strlen(optarg) + 8 > ST_KEY_MAX)
                return usage_error("--prefetch '%.64s' is not a storage key prefix of 1 to 504 "
                                   "bytes", optarg);
            if (nprefetch == RT_PREFETCH_MAX)
                return usage_error("more than 64 --prefetch; the last is '%.64s'", optarg);
            prefetch[nprefetch++] = optarg;
            break;
        case O_HELP:
            fputs(usage_text, stdout);
            return 0;
        case O_VERSION:
            printf("praas-process %s\n", praas_version_string());
            return 0;
        default:
            return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (!o.library)
        return usage_error("%s", "--library PATH is required");

    /* Signals: blocked in every thread, taken by one. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* Prefetch first, so that reading the swapped sessions overlaps
     * praas_init and loading the library (after the signal mask: the
     * thread inherits it). */
    if (nprefetch) {
        rc = rt_prefetch_start(o.storage, prefetch, nprefetch, &pf);
        if (rc)
            fprintf(stderr, "praas-process: warning: %s; not prefetching\n", praas_errmsg());
        o.prefetch = pf;
    }

    if (init) {
        /* Started by the control plane's executor, a subprocess joins the
         * view of its process (PRAAS_JOIN=1 with PRAAS_CONTROL, PRAAS_PROCESS
         * and PRAAS_RANK: the executor announced the join), so that its
         * functions reach the objects of the other subprocesses; praas_init
         * returns once the view that adds it is published, within
         * PRAAS_BOOTSTRAP_TIMEOUT. Started otherwise, it is a single worker
         * of its own view: the launcher's variables, if the environment
         * carries them, are not ours. */
        static const char *const vars[] = {"PRAAS_CONTROL", "PRAAS_PROCESS", "PRAAS_RANK",
                                           "PRAAS_SIZE", "PRAAS_LOCAL_RANK", "PRAAS_LOCAL_SIZE",
                                           "PRAAS_JOIN"};
        const char *join = getenv("PRAAS_JOIN"), *control = getenv("PRAAS_CONTROL");
        if (!join || strcmp(join, "1") != 0 || !control || !*control)
            for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
                unsetenv(vars[i]);
        rc = praas_init();
        if (rc)
            fprintf(stderr,
                    "praas-process: warning: praas_init failed (%s); serving without it, so "
                    "session memory is not registered and functions cannot use the praas API\n",
                    praas_errmsg());
        else
            inited = 1;
    }
    rc = rt_server_create(&o, &g_srv);
    if (!rc)
        rc = rt_server_listen(g_srv, listen_at, ep, sizeof(ep));
    if (rc) {
        fprintf(stderr, "praas-process: %s\n", praas_errmsg());
        if (g_srv)
            rt_server_destroy(g_srv, 0);
        rt_prefetch_destroy(pf);
        if (inited)
            praas_finalize();
        return 1;
    }
    if (pthread_create(&sig_thread, NULL, signal_main, &set) != 0 ||
        (watch_stdin && pthread_create(&in_thread, NULL, stdin_main, NULL) != 0)) {
        fprintf(stderr, "praas-process: cannot start a thread\n");
        return 1;
    }
    printf("endpoint %s\n", ep);
    fflush(stdout);

    rc = rt_server_run(g_srv);
    if (rc) {
        fprintf(stderr, "praas-process: %s\n", praas_errmsg());
        status = 1;
    }
    pthread_mutex_lock(&g_srv_lock);
    srv = g_srv;
    g_srv = NULL;
    pthread_mutex_unlock(&g_srv_lock);
    rc = rt_server_destroy(srv, (int)grace);
    if (rc) {
        fprintf(stderr, "praas-process: %s\n", praas_errmsg());
        _exit(1); /* functions still run over the server's memory */
    }
    rt_prefetch_destroy(pf);
    if (inited)
        praas_finalize();
    return status;
}
