/*
 * praas-control: the control plane as a daemon.
 *
 * A thin shell around praas_control_start: parse the options, start, write
 * the port file, wait for SIGINT or SIGTERM, stop. The signals are blocked
 * before any thread starts and taken with sigwait, so no handler runs in
 * the middle of the server's code and every thread inherits the mask.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <praas/control.h>
#include <praas/errors.h>
#include <praas/version.h>

#include "core/config.h"

#define EXIT_USAGE 2

static const char usage_text[] =
    "Usage: praas-control [OPTION]...\n"
    "Serve the praas control-plane API (doc/control-api.md) over HTTP.\n"
    "\n"
    "  --bind ADDR        address to listen on (default 127.0.0.1)\n"
    "  --port N           port to listen on, 0 for an ephemeral one (default 8080)\n"
    "  --store URL        'memory' (default) or redis://HOST:PORT[/DB]\n"
    "  --max-body BYTES   largest request body, with an optional K, M or G suffix\n"
    "                     (powers of 1024; default 1M)\n"
    "  --log-requests     print one line per request to stderr\n"
    "\n"
    "Serverless sessions (doc/control-api.md):\n"
    "  --storage URL      where swapped sessions go: file://DIR, s3://BUCKET[/PREFIX]\n"
    "                     or redis://HOST:PORT (default $PRAAS_STORAGE, else\n"
    "                     file://$TMPDIR/praas-storage)\n"
    "  --process-bin PATH the praas-process program hosting sessions (default\n"
    "                     $PRAAS_PROCESS_BIN, else " PRAAS_BINDIR "/praas-process)\n"
    "  --idle-swap SECONDS  swap out sessions idle this long (decimals allowed;\n"
    "                     0 never; default 300)\n"
    "  --max-payload BYTES  largest invocation payload, with an optional K, M or G\n"
    "                     suffix (default 64M)\n"
    "  --sessions-per-subprocess N  live sessions one subprocess hosts at most\n"
    "                     (default 16)\n"
    "  --subprocess-grace MS  stop a subprocess this long after its last live\n"
    "                     session left (default 2000)\n"
    "  --placement NAME   round-robin (default) or spread (a subprocess per session)\n"
    "  --ping-interval MS ping every subprocess this often; one that misses 3 pings\n"
    "                     in a row is hung and killed, its live sessions lost\n"
    "                     (default 2000; 0 never)\n"
    "  --library-dir DIR  where libraries uploaded with PUT /v1/libraries/NAME are\n"
    "                     kept (default $PRAAS_LIBRARY_DIR, else\n"
    "                     $TMPDIR/praas-libraries)\n"
    "  --max-library BYTES  largest library upload, with an optional K, M or G\n"
    "                     suffix (default 256M)\n"
    "  --port-file FILE   write the bound port to FILE once listening\n"
    "  --help             print this help and exit\n"
    "  --version          print the version and exit\n"
    "\n"
    "SIGINT or SIGTERM stops the server; exit status 0 then, 1 if it could not\n"
    "start, 2 for a bad option.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "praas-control: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'praas-control --help' for more information.\n");
    return EXIT_USAGE;
}

/* Parse a port, 0..65535, digits only. Returns it or -1. */
static int parse_port(const char *s)
{
    char *end;
    long v;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v > 65535)
        return -1;
    return (int)v;
}

/* Parse a count, 1..1000000. Returns it or -1. */
static int parse_count(const char *s)
{
    char *end;
    long v;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < 1 || v > 1000000)
        return -1;
    return (int)v;
}

/* Parse seconds (decimals allowed, 0..2000000) into milliseconds. */
static int parse_seconds_ms(const char *s, int *ms_p)
{
    char *end;
    double v;

    if ((*s < '0' || *s > '9') && *s != '.')
        return -1;
    errno = 0;
    v = strtod(s, &end);
    if (errno || *end || v < 0 || v > 2000000)
        return -1;
    *ms_p = (int)(v * 1000 + 0.5);
    if (v > 0 && *ms_p == 0)
        *ms_p = 1;
    return 0;
}

/* Write the port to path atomically (a temporary file renamed over it), so
 * that a script polling for the file never reads half of it. */
static int write_port_file(const char *path, int port)
{
    char tmp[PATH_MAX];
    FILE *f;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
        fprintf(stderr, "praas-control: port file name '%s' is too long\n", path);
        return -1;
    }
    f = fopen(tmp, "w");
    if (f == NULL)
        goto err_errno;
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0) {
        unlink(tmp);
        goto err_errno;
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        goto err_errno;
    }
    return 0;

err_errno:
    fprintf(stderr, "praas-control: cannot write port file '%s': %s\n", path, strerror(errno));
    return -1;
}

int main(int argc, char **argv)
{
    enum { OPT_BIND = 256, OPT_PORT, OPT_STORE, OPT_MAX_BODY, OPT_LOG, OPT_PORT_FILE,
           OPT_HELP, OPT_VERSION, OPT_STORAGE, OPT_PROCESS_BIN, OPT_IDLE_SWAP, OPT_MAX_PAYLOAD,
           OPT_PER_SUB, OPT_GRACE, OPT_PLACEMENT, OPT_PING, OPT_LIB_DIR, OPT_MAX_LIB };
    static const struct option longopts[] = {
        {"bind", required_argument, NULL, OPT_BIND},
        {"port", required_argument, NULL, OPT_PORT},
        {"store", required_argument, NULL, OPT_STORE},
        {"max-body", required_argument, NULL, OPT_MAX_BODY},
        {"log-requests", no_argument, NULL, OPT_LOG},
        {"port-file", required_argument, NULL, OPT_PORT_FILE},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        {"storage", required_argument, NULL, OPT_STORAGE},
        {"process-bin", required_argument, NULL, OPT_PROCESS_BIN},
        {"idle-swap", required_argument, NULL, OPT_IDLE_SWAP},
        {"max-payload", required_argument, NULL, OPT_MAX_PAYLOAD},
        {"sessions-per-subprocess", required_argument, NULL, OPT_PER_SUB},
        {"subprocess-grace", required_argument, NULL, OPT_GRACE},
        {"placement", required_argument, NULL, OPT_PLACEMENT},
        {"ping-interval", required_argument, NULL, OPT_PING},
        {"library-dir", required_argument, NULL, OPT_LIB_DIR},
        {"max-library", required_argument, NULL, OPT_MAX_LIB},
        {NULL, 0, NULL, 0},
    };
    praas_control_opts_t opts = {.bind = "127.0.0.1", .port = 8080, .idle_swap_ms = 300000};
    char default_bin[sizeof(PRAAS_BINDIR) + 16];
    const char *port_file = NULL, *store_name;
    char optname[8];
    praas_control_t *ctl;
    sigset_t sigs;
    int opt, sig, rc, status = 0;

    /* getopt's own messages would not follow ours; report errors here. */
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_BIND:
            opts.bind = optarg;
            break;
        case OPT_PORT:
            opts.port = parse_port(optarg);
            if (opts.port < 0)
                return usage_error("--port '%s' is not a port number (0..65535)", optarg);
            break;
        case OPT_STORE:
            opts.store = optarg;
            break;
        case OPT_MAX_BODY:
            if (core_parse_bytes(optarg, 1, SIZE_MAX, &opts.max_body) < 0)
                return usage_error("--max-body '%s' is not a positive byte count "
                                   "(digits with an optional K, M or G)", optarg);
            break;
        case OPT_LOG:
            opts.log_requests = 1;
            break;
        case OPT_PORT_FILE:
            port_file = optarg;
            break;
        case OPT_STORAGE:
            opts.storage = optarg;
            break;
        case OPT_PROCESS_BIN:
            opts.process_bin = optarg;
            break;
        case OPT_IDLE_SWAP:
            if (parse_seconds_ms(optarg, &opts.idle_swap_ms) < 0)
                return usage_error("--idle-swap '%s' is not a number of seconds (0 to "
                                   "2000000, decimals allowed)", optarg);
            break;
        case OPT_MAX_PAYLOAD:
            if (core_parse_bytes(optarg, 1, SIZE_MAX, &opts.max_payload) < 0)
                return usage_error("--max-payload '%s' is not a positive byte count "
                                   "(digits with an optional K, M or G)", optarg);
            break;
        case OPT_PER_SUB:
            if ((opts.sessions_per_subprocess = parse_count(optarg)) <= 0)
                return usage_error("--sessions-per-subprocess '%s' is not a count (1 to "
                                   "1000000)", optarg);
            break;
        case OPT_GRACE:
            if ((opts.subprocess_grace_ms = parse_count(optarg)) <= 0)
                return usage_error("--subprocess-grace '%s' is not a number of "
                                   "milliseconds (1 to 1000000)", optarg);
            break;
        case OPT_PLACEMENT:
            if (strcmp(optarg, "round-robin") != 0 && strcmp(optarg, "spread") != 0)
                return usage_error("--placement '%s' is not round-robin or spread", optarg);
            opts.placement = optarg;
            break;
        case OPT_PING:
            if (strcmp(optarg, "0") == 0)
                opts.ping_interval_ms = -1;
            else if ((opts.ping_interval_ms = parse_count(optarg)) <= 0)
                return usage_error("--ping-interval '%s' is not a number of milliseconds "
                                   "(0 to 1000000)", optarg);
            break;
        case OPT_LIB_DIR:
            opts.library_dir = optarg;
            break;
        case OPT_MAX_LIB:
            if (core_parse_bytes(optarg, 1, SIZE_MAX, &opts.max_library) < 0)
                return usage_error("--max-library '%s' is not a positive byte count "
                                   "(digits with an optional K, M or G)", optarg);
            break;
        case OPT_HELP:
            fputs(usage_text, stdout);
            return 0;
        case OPT_VERSION:
            printf("praas-control %s\n", PRAAS_VERSION_STRING);
            return 0;
        case ':':
            return usage_error("option '%s' needs an argument", argv[optind - 1]);
        default:
            /* An unknown short option is named by optopt; a long one is the
             * argument getopt just stepped over. */
            if (optopt) {
                snprintf(optname, sizeof(optname), "-%c", optopt);
                return usage_error("unknown option '%s'", optname);
            }
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    /* The installed praas-process, unless told otherwise. */
    if (opts.process_bin == NULL && getenv("PRAAS_PROCESS_BIN") == NULL) {
        snprintf(default_bin, sizeof(default_bin), "%s/praas-process", PRAAS_BINDIR);
        if (access(default_bin, X_OK) == 0)
            opts.process_bin = default_bin;
    }

    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    /* A client or Redis that hangs up must not kill the daemon. */
    signal(SIGPIPE, SIG_IGN);

    rc = praas_control_start(&opts, &ctl);
    if (rc == PRAAS_ERR_INVALID)
        return usage_error("%s", praas_errmsg()); /* an option's value, e.g. --store */
    if (rc < 0) {
        fprintf(stderr, "praas-control: cannot start: %s (%s)\n", praas_errmsg(),
                praas_err_name(rc));
        return 1;
    }
    /* praas_control_start accepted the store, so it is Redis exactly when
     * it is a redis:// URL. */
    store_name = opts.store && strncmp(opts.store, "redis://", 8) == 0 ? "redis" : "memory";
    fprintf(stderr, "praas-control: listening on http://%s%s%s:%d (store: %s)\n",
            strchr(opts.bind, ':') ? "[" : "", opts.bind, strchr(opts.bind, ':') ? "]" : "",
            praas_control_port(ctl), store_name);
    if (port_file && write_port_file(port_file, praas_control_port(ctl)) < 0) {
        status = 1;
        goto out;
    }

    do {
        rc = sigwait(&sigs, &sig);
    } while (rc == EINTR);
    fprintf(stderr, "praas-control: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
out:
    praas_control_stop(ctl);
    return status;
}
