/*
 * praas: the command line of the control plane's serverless routes
 * (doc/control-api.md, "Serverless processes and sessions").
 *
 *   praas [--control URL] process create|list|show|delete ...
 *   praas [--control URL] session alloc|list|show|swap|retrieve|delete ...
 *   praas [--control URL] metrics (--session SID | --process ID)
 *   praas [--control URL] invoke FUNCTION (--session SID | --process ID) ...
 *   praas [--control URL] library upload|list|show|delete ...
 *
 * Routes answer JSON, printed as it comes (indented); invoke writes the
 * function's result as raw bytes. Exit status: 0 on success, 1 when the
 * control plane or the function refused (the message on stderr), 2 for a
 * bad command line.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <praas/client.h>
#include <praas/errors.h>
#include <praas/version.h>

#include "client/client_int.h"
#include "client/http.h"
#include "core/config.h"

#define EXIT_USAGE 2
#define REQ_TIMEOUT_MS 60000
/* Transfers at least this large show progress (on a terminal, or with
 * --progress), at most every PROGRESS_EVERY_NS. */
#define PROGRESS_MIN (1u << 20)
#define PROGRESS_EVERY_NS 200000000ull

static const char *control;

static const char main_usage[] =
    "Usage: praas [--control URL] COMMAND [ARGS]...\n"
    "Manage serverless processes and sessions of a praas control plane, and invoke\n"
    "functions in them.\n"
    "\n"
    "Commands:\n"
    "  process create --library PATH|NAME [OPTIONS]  deploy a function library\n"
    "  process list | show ID | delete ID\n"
    "  session alloc PROCESS [--memory BYTES]    allocate a session\n"
    "  session list PROCESS | show SID | swap SID | retrieve SID | delete SID\n"
    "  metrics (--session SID | --process ID)    usage, for billing\n"
    "  invoke FUNCTION (--session SID | --process ID) [OPTIONS]\n"
    "  library upload NAME FILE                  upload a function library\n"
    "  library list | show NAME | delete NAME\n"
    "\n"
    "  --control URL   the control plane (default $PRAAS_CONTROL)\n"
    "  --help          this help; 'praas COMMAND --help' for a command's\n"
    "  --version       print the version\n"
    "\n"
    "Exit status: 0 on success, 1 when the request failed, 2 for a bad command line.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "praas: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'praas --help' for more information.\n");
    return EXIT_USAGE;
}

static int fail(int rc)
{
    fprintf(stderr, "praas: %s (%s)\n", praas_errmsg(), praas_err_name(rc));
    return 1;
}

static int parse_int(const char *s, long lo, long hi, long *v_p)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *v_p = v;
    return 0;
}

/* ---- progress of long transfers, on stderr ---- */

struct progress {
    const char *what;   /* "upload", "invoke" */
    int on;             /* print at all */
    int tty;            /* redraw one line ('\r') rather than print lines */
    uint64_t start_ns, last_ns;
    uint64_t total;     /* the bytes to send, known up front */
    int printed, full;  /* a line was printed; the 100% one was */
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Decide whether a transfer of total bytes shows progress: one of at least
 * PROGRESS_MIN bytes does with --progress (mode > 0), or when stderr is a
 * terminal (mode 0); none does with --no-progress or --quiet (mode < 0). */
static void progress_init(struct progress *p, const char *what, int mode, uint64_t total)
{
    memset(p, 0, sizeof(*p));
    p->what = what;
    p->tty = isatty(2);
    p->total = total;
    p->on = mode >= 0 && total >= PROGRESS_MIN && (mode > 0 || p->tty);
    p->start_ns = p->last_ns = now_ns();
}

/* One line: bytes sent of the total, percent, mean rate so far. */
static void progress_line(struct progress *p, uint64_t done)
{
    uint64_t now = now_ns(), total = p->total;
    double s = (double)(now - p->start_ns) / 1e9;
    double rate = s > 0 ? (double)done / s / 1048576.0 : 0;
    unsigned pct = total ? (unsigned)(done * 100 / total) : 100;

    fprintf(stderr, "%spraas: %s %" PRIu64 "/%" PRIu64 " bytes (%u%%) %.1f MiB/s%s",
            p->tty ? "\r" : "", p->what, done, total, pct, rate, p->tty ? "   " : "\n");
    p->printed = 1;
    p->full = pct >= 100;
    p->last_ns = now;
}

/* libcurl's callback (struct cl_raw): a line every PROGRESS_EVERY_NS and
 * one when everything is sent. */
static int progress_curl(void *arg, uint64_t dt, uint64_t dn, uint64_t ut, uint64_t un)
{
    struct progress *p = arg;

    (void)dt;
    (void)dn;
    if (!p->on || p->full)
        return 0;
    if (ut > p->total)
        p->total = ut;
    if ((p->total && un >= p->total) || now_ns() - p->last_ns >= PROGRESS_EVERY_NS)
        progress_line(p, un);
    return 0;
}

/* praas_progress_fn of the client library. */
static int progress_client(void *arg, uint64_t done, uint64_t total)
{
    return progress_curl(arg, 0, 0, total, done);
}

/* The transfer is over: on success everything was sent, so the last line
 * says 100% even if libcurl did not call back at the very end; a terminal's
 * line is ended. */
static void progress_end(struct progress *p, int ok)
{
    if (p->on && ok && !p->full)
        progress_line(p, p->total);
    if (p->printed && p->tty)
        fputc('\n', stderr);
}

/* The progress mode of a subcommand's --progress, --no-progress and
 * --quiet values. */
static int progress_mode(const char *on, const char *off, const char *quiet)
{
    return off || quiet ? -1 : on ? 1 : 0;
}

/* One JSON request, its answer printed on stdout. */
static int json_call(const char *method, const char *path, json_t *body)
{
    json_t *reply = NULL;
    int rc = cl_http_request(control, method, path, body, REQ_TIMEOUT_MS, NULL, &reply);

    json_decref(body);
    if (rc)
        return fail(rc);
    json_dumpf(reply, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(reply);
    return 0;
}

/* Parse the options of a subcommand; options and operands may come in any
 * order ("--" ends the options). opts lists {name, has_arg}; "--help" is
 * implied. Values go to vals[k], operands to pos[] (argc entries). Returns
 * the number of operands, or -1 after printing help (exit 0) or -2 after a
 * usage error (exit 2). */
struct opt {
    const char *name;
    int has_arg;
};

static int parse_opts(int argc, char **argv, const struct opt *opts, size_t nopts,
                      const char **vals, const char *help, char **pos)
{
    int npos = 0, only_operands = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        size_t k;
        if (!only_operands && strcmp(a, "-q") == 0)
            a = "--quiet"; /* the one short option, for commands with --quiet */
        if (only_operands || strncmp(a, "--", 2) != 0) {
            pos[npos++] = argv[i];
            continue;
        }
        if (strcmp(a, "--help") == 0) {
            fputs(help, stdout);
            return -1;
        }
        if (strcmp(a, "--") == 0) {
            only_operands = 1;
            continue;
        }
        for (k = 0; k < nopts; k++) {
            size_t n = strlen(opts[k].name);
            if (n == 0 || strncmp(a + 2, opts[k].name, n) != 0 ||
                (a[2 + n] && a[2 + n] != '='))
                continue;
            if (!opts[k].has_arg) {
                vals[k] = "1";
            } else if (a[2 + n] == '=') {
                vals[k] = a + 3 + n;
            } else if (i + 1 < argc) {
                vals[k] = argv[++i];
            } else {
                usage_error("option '%s' needs an argument", a);
                return -2;
            }
            break;
        }
        if (k == nopts) {
            usage_error("unknown option '%s'", a);
            return -2;
        }
    }
    return npos;
}

#define PARSE(help, ...)                                                                   \
    struct opt o_[] = {__VA_ARGS__};                                                       \
    const char *v_[sizeof(o_) / sizeof(o_[0]) + 1] = {0};                                  \
    char *pos_[argc + 1];                                                                  \
    int npos_ = parse_opts(argc, argv, o_, sizeof(o_) / sizeof(o_[0]), v_, help, pos_);   \
    if (npos_ == -1)                                                                       \
        return 0;                                                                          \
    if (npos_ == -2)                                                                       \
        return EXIT_USAGE;

/* ---- process ---- */

static const char process_help[] =
    "Usage: praas process create --library PATH|NAME [--id ID] [--session-memory BYTES]\n"
    "                            [--max-functions N] [--memory-increment BYTES]\n"
    "       praas process list\n"
    "       praas process show ID\n"
    "       praas process delete ID\n"
    "Create, list, show and delete serverless processes. A process serves the\n"
    "functions of a shared object (an absolute path on the control plane's machine,\n"
    "or the NAME of a library uploaded with 'praas library upload')\n"
    "in sessions of at most --session-memory bytes, each running at most\n"
    "--max-functions functions at once; session memory is a multiple of\n"
    "--memory-increment (the default memory of a session).\n";

static int cmd_process(int argc, char **argv)
{
    char path[160];
    const char *sub = argc > 1 ? argv[1] : NULL;

    if (sub == NULL || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        fputs(process_help, sub ? stdout : stderr);
        return sub ? 0 : EXIT_USAGE;
    }
    argc--;
    argv++;
    if (strcmp(sub, "create") == 0) {
        PARSE(process_help, {"library", 1}, {"id", 1}, {"session-memory", 1},
              {"max-functions", 1}, {"memory-increment", 1}, {"name", 1});
        json_t *body, *lim = json_object();
        size_t b;
        long n;
        if (npos_ > 0)
            return usage_error("unexpected argument '%s'", pos_[0]);
        if (v_[0] == NULL)
            return usage_error("%s", "process create needs --library PATH");
        body = json_pack("{s:s}", "library", v_[0]);
        if (v_[1])
            json_object_set_new(body, "id", json_string(v_[1]));
        if (v_[5])
            json_object_set_new(body, "name", json_string(v_[5]));
        if (v_[2]) {
            if (core_parse_bytes(v_[2], 0, SIZE_MAX, &b) < 0)
                return usage_error("--session-memory '%s' is not a byte count", v_[2]);
            json_object_set_new(lim, "session_memory", json_integer((json_int_t)b));
        }
        if (v_[3]) {
            if (parse_int(v_[3], 1, 1024, &n) < 0)
                return usage_error("--max-functions '%s' is not in 1..1024", v_[3]);
            json_object_set_new(lim, "max_functions", json_integer(n));
        }
        if (v_[4]) {
            if (core_parse_bytes(v_[4], 0, SIZE_MAX, &b) < 0)
                return usage_error("--memory-increment '%s' is not a byte count", v_[4]);
            json_object_set_new(lim, "memory_increment", json_integer((json_int_t)b));
        }
        if (json_object_size(lim))
            json_object_set(body, "limits", lim);
        json_decref(lim);
        return json_call("POST", "/v1/processes", body);
    }
    if (strcmp(sub, "list") == 0) {
        PARSE(process_help, {"", 0});
        if (npos_ > 0)
            return usage_error("unexpected argument '%s'", pos_[0]);
        return json_call("GET", "/v1/processes", NULL);
    }
    if (strcmp(sub, "show") == 0 || strcmp(sub, "delete") == 0) {
        PARSE(process_help, {"", 0});
        if (npos_ != 1)
            return usage_error("process %s needs one process id", sub);
        snprintf(path, sizeof(path), "/v1/processes/%.64s", pos_[0]);
        return json_call(sub[0] == 's' ? "GET" : "DELETE", path, NULL);
    }
    return usage_error("unknown process command '%s' (create, list, show, delete)", sub);
}

/* ---- session ---- */

static const char session_help[] =
    "Usage: praas session alloc PROCESS [--memory BYTES]\n"
    "       praas session list PROCESS\n"
    "       praas session show SID\n"
    "       praas session swap SID\n"
    "       praas session retrieve SID\n"
    "       praas session delete SID\n"
    "Allocate a session of a process (--memory with an optional K, M or G suffix;\n"
    "default the process's memory increment), list the sessions of a process with\n"
    "their state (live, swapped, lost), show one, swap it out to storage, retrieve\n"
    "it (swap it in; prints its endpoint), or delete it with its swapped state.\n";

static int cmd_session(int argc, char **argv)
{
    static const struct {
        const char *name, *method, *fmt;
    } simple[] = {
        {"list", "GET", "/v1/processes/%.64s/sessions"},
        {"show", "GET", "/v1/sessions/%.64s"},
        {"swap", "POST", "/v1/sessions/%.64s/swap"},
        {"retrieve", "POST", "/v1/sessions/%.64s/retrieve"},
        {"delete", "DELETE", "/v1/sessions/%.64s"},
    };
    const char *sub = argc > 1 ? argv[1] : NULL;
    char path[160];

    if (sub == NULL || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        fputs(session_help, sub ? stdout : stderr);
        return sub ? 0 : EXIT_USAGE;
    }
    argc--;
    argv++;
    if (strcmp(sub, "alloc") == 0) {
        PARSE(session_help, {"memory", 1});
        size_t mem = 0;
        if (npos_ != 1)
            return usage_error("%s", "session alloc needs one process id");
        if (v_[0] && (core_parse_bytes(v_[0], 0, SIZE_MAX, &mem) < 0 || mem == 0))
            return usage_error("--memory '%s' is not a positive byte count", v_[0]);
        snprintf(path, sizeof(path), "/v1/processes/%.64s/sessions", pos_[0]);
        return json_call("POST", path, mem ? json_pack("{s:I}", "memory", (json_int_t)mem)
                                           : json_object());
    }
    for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
        if (strcmp(sub, simple[i].name) != 0)
            continue;
        PARSE(session_help, {"", 0});
        if (npos_ != 1)
            return usage_error("session %s needs one id", sub);
        snprintf(path, sizeof(path), simple[i].fmt, pos_[0]);
        return json_call(simple[i].method, path, strcmp(simple[i].method, "POST") == 0
                                                     ? json_object() : NULL);
    }
    return usage_error("unknown session command '%s' (alloc, list, show, swap, retrieve, "
                       "delete)", sub);
}

/* ---- metrics ---- */

static const char metrics_help[] =
    "Usage: praas metrics --session SID\n"
    "       praas metrics --process ID\n"
    "Print the usage of a session, or of a process (the sum over its sessions,\n"
    "deleted ones included): invocations, cpu_ns, wall_ns, peak_bytes, bytes_in,\n"
    "bytes_out, swapped_ms; a process also counts control_invocations, the\n"
    "invocations that went through the control plane.\n";

static int cmd_metrics(int argc, char **argv)
{
    char path[160];

    PARSE(metrics_help, {"session", 1}, {"process", 1});
    if (npos_ > 0)
        return usage_error("unexpected argument '%s'", pos_[0]);
    if ((v_[0] == NULL) == (v_[1] == NULL))
        return usage_error("%s", "metrics needs exactly one of --session SID and --process ID");
    if (v_[0])
        snprintf(path, sizeof(path), "/v1/sessions/%.64s/metrics", v_[0]);
    else
        snprintf(path, sizeof(path), "/v1/processes/%.64s/metrics", v_[1]);
    return json_call("GET", path, NULL);
}

/* ---- invoke ---- */

static const char invoke_help[] =
    "Usage: praas invoke FUNCTION (--session SID | --process ID) [OPTIONS]\n"
    "Invoke FUNCTION in a session, or in a new session of a process, through the\n"
    "control plane, with the payload read from --input, and write its result to\n"
    "--output. The session id, its direct endpoint and the invocation id are\n"
    "printed on stderr.\n"
    "\n"
    "  --session SID     invoke in this session (swapped in if swapped out)\n"
    "  --process ID      invoke in a new session of this process\n"
    "  --memory BYTES    the new session's memory (with --process)\n"
    "  --input FILE      the payload; '-' is stdin (default: empty)\n"
    "  --output FILE     where the result goes (default stdout)\n"
    "  --timeout MS      give up after MS milliseconds\n"
    "  --id N            the invocation id (default: a new one)\n"
    "  --deps A,B,...    invocations that must complete first\n"
    "  --nargs N --arg I  argument I of a multi-source invocation of N arguments\n"
    "                    (all callers give the same --id)\n"
    "  --async           print the invocation id at once, then wait for the result\n"
    "  --progress        show the payload's progress on stderr even when it is not\n"
    "                    a terminal\n"
    "  --no-progress     never show progress\n"
    "  -q, --quiet       print nothing on stderr but errors\n"
    "A payload of 1 MiB or more shows its progress (bytes sent, percent, rate) on\n"
    "stderr when it is a terminal. An --async invocation shows none.\n";

static int read_all(const char *file, char **data_p, size_t *len_p)
{
    int rc = cl_read_file(file, data_p, len_p);

    return rc < 0 ? -fail(rc) : 0;
}

/* Invoke through the control plane's raw route with libcurl's progress
 * (praas_invoke does the same without it); the answer into res. */
static int invoke_raw(praas_invoke_opts_t *io, const char *sid, const char *proc,
                      const char *fn, const char *deps, const void *payload, size_t len,
                      struct progress *pr, praas_result_t *res)
{
    struct cl_raw r = {.body = payload, .len = len, .progress = progress_curl,
                       .progress_arg = pr};
    char path[2048], *q;
    int rc;

    r.timeout_ms = io->timeout_ms ? io->timeout_ms + 30000 : 0;
    if (!io->id)
        io->id = ((uint64_t)getpid() << 20 | (uint64_t)rand()) & ((1ull << 62) - 1);
    q = path + snprintf(path, 400, "/v1/%s/%.64s/invoke/%.200s?id=%" PRIu64,
                        sid ? "sessions" : "processes", sid ? sid : proc, fn, io->id);
    if (io->memory)
        q += sprintf(q, "&memory=%zu", io->memory);
    if (io->timeout_ms)
        q += sprintf(q, "&timeout_ms=%d", io->timeout_ms);
    if (io->nargs)
        q += sprintf(q, "&nargs=%d&arg=%d", io->nargs, io->arg);
    if (deps)
        snprintf(q, path + sizeof(path) - q, "&deps=%s", deps);
    memset(res, 0, sizeof(*res));
    rc = cl_http_raw(control, "POST", path, &r, NULL, &res->data, &res->len);
    res->id = r.invocation;
    snprintf(res->session, sizeof(res->session), "%s", r.session);
    snprintf(res->endpoint, sizeof(res->endpoint), "%s", r.endpoint);
    return rc;
}

static int cmd_invoke(int argc, char **argv)
{
    PARSE(invoke_help, {"session", 1}, {"process", 1}, {"memory", 1}, {"input", 1},
          {"output", 1}, {"timeout", 1}, {"id", 1}, {"deps", 1}, {"nargs", 1}, {"arg", 1},
          {"async", 0}, {"quiet", 0}, {"progress", 0}, {"no-progress", 0});
    praas_invoke_opts_t io = {0};
    struct progress pr;
    praas_result_t res;
    uint64_t deps[1024];
    char *payload = NULL;
    size_t len = 0;
    const char *fn;
    FILE *out = stdout;
    int rc;
    long n;

    if (npos_ != 1)
        return usage_error("%s", "invoke needs one FUNCTION name");
    fn = pos_[0];
    if ((v_[0] == NULL) == (v_[1] == NULL))
        return usage_error("%s", "invoke needs exactly one of --session SID and --process ID");
    io.process = v_[1];
    io.flags = PRAAS_INVOKE_VIA_CONTROL;
    if (v_[2] && (core_parse_bytes(v_[2], 0, SIZE_MAX, &io.memory) < 0 || io.memory == 0))
        return usage_error("--memory '%s' is not a positive byte count", v_[2]);
    if (v_[5]) {
        if (parse_int(v_[5], 1, 86400000, &n) < 0)
            return usage_error("--timeout '%s' is not a number of milliseconds", v_[5]);
        io.timeout_ms = (int)n;
    }
    if (v_[6]) {
        char *end;
        errno = 0;
        io.id = strtoull(v_[6], &end, 10);
        if (errno || *end || io.id == 0 || io.id >= (1ull << 62))
            return usage_error("--id '%s' is not an invocation id (1 to 2^62 - 1)", v_[6]);
    }
    if (v_[7]) {
        const char *p = v_[7];
        while (*p) {
            char *end;
            if (io.ndeps == 1024)
                return usage_error("--deps '%s' lists more than 1024 ids", v_[7]);
            errno = 0;
            deps[io.ndeps] = strtoull(p, &end, 10);
            if (errno || end == p || deps[io.ndeps] == 0 || (*end && *end != ','))
                return usage_error("--deps '%s' is not ids separated by commas", v_[7]);
            io.ndeps++;
            p = *end ? end + 1 : end;
        }
        io.deps = deps;
    }
    if (v_[8] || v_[9]) {
        if (!v_[8] || !v_[9] || parse_int(v_[8], 2, 1 << 20, &n) < 0)
            return usage_error("%s", "--nargs N (at least 2) and --arg I go together");
        io.nargs = (int)n;
        if (parse_int(v_[9], 0, io.nargs - 1, &n) < 0)
            return usage_error("--arg '%s' is not in [0, nargs)", v_[9]);
        io.arg = (int)n;
        if (!io.id)
            return usage_error("%s", "a multi-source invocation needs the --id its callers "
                               "share");
    }
    if (v_[3] && read_all(v_[3], &payload, &len) < 0)
        return 1;
    if (v_[4] && strcmp(v_[4], "-") != 0 && (out = fopen(v_[4], "wb")) == NULL) {
        fprintf(stderr, "praas: cannot open --output '%s': %s\n", v_[4], strerror(errno));
        free(payload);
        return 1;
    }
    if (v_[10]) {
        praas_client_t *cl;
        praas_call_t *call;
        rc = praas_client_open(control, &cl);
        if (rc == 0) {
            rc = praas_invoke_async(cl, v_[0], fn, payload, len, &io, &call);
            if (rc == 0) {
                if (!v_[11])
                    fprintf(stderr, "praas: invocation %" PRIu64 " started\n",
                            praas_call_id(call));
                rc = praas_call_wait(call, -1, &res);
            }
            praas_client_close(cl);
        }
    } else {
        /* One call through the control plane; a payload that shows its
         * progress goes by the raw route, to see the transfer. */
        praas_client_t *cl;
        progress_init(&pr, "invoke", progress_mode(v_[12], v_[13], v_[11]), len);
        rc = praas_client_open(control, &cl);
        if (rc == 0) {
            if (pr.on)
                rc = invoke_raw(&io, v_[0], v_[1], fn, v_[7], payload, len, &pr, &res);
            else
                rc = praas_invoke(cl, v_[0], fn, payload, len, &io, &res);
            progress_end(&pr, rc == 0);
            praas_client_close(cl);
        }
    }
    free(payload);
    if (rc < 0) {
        if (out != stdout)
            fclose(out);
        return fail(rc);
    }
    if (!v_[11])
        fprintf(stderr, "praas: session %s endpoint %s invocation %" PRIu64 " result %zu "
                "bytes\n", res.session, res.endpoint[0] ? res.endpoint : "-", res.id, res.len);
    if (res.len && fwrite(res.data, 1, res.len, out) != res.len) {
        fprintf(stderr, "praas: cannot write the result: %s\n", strerror(errno));
        rc = 1;
    }
    praas_result_free(&res);
    if (out != stdout && fclose(out) != 0) {
        fprintf(stderr, "praas: cannot write --output '%s': %s\n", v_[4], strerror(errno));
        rc = 1;
    }
    return rc ? 1 : 0;
}

/* ---- library ---- */

static const char library_help[] =
    "Usage: praas library upload NAME FILE [--progress | --no-progress | -q]\n"
    "       praas library list\n"
    "       praas library show NAME\n"
    "       praas library delete NAME\n"
    "Upload a function library (a shared object; FILE '-' is stdin) to the control\n"
    "plane under NAME (1 to 64 of [A-Za-z0-9_.-], not starting with '.'), replacing\n"
    "one of that name; list the uploaded libraries with their size and SHA-256, show\n"
    "one, or delete one (refused while a process uses it). A process then serves\n"
    "it with 'praas process create --library NAME'.\n"
    "\n"
    "  --progress      show the upload's progress on stderr even when it is not a\n"
    "                  terminal\n"
    "  --no-progress   never show progress\n"
    "  -q, --quiet     print nothing on stderr but errors\n"
    "An upload of 1 MiB or more shows its progress (bytes sent, percent, rate) on\n"
    "stderr when it is a terminal.\n";

static json_t *library_json(const praas_library_info_t *li)
{
    return json_pack("{s:s, s:I, s:s, s:s}", "name", li->name, "size", (json_int_t)li->size,
                     "sha256", li->sha256, "uploaded", li->uploaded);
}

/* Print a JSON value (taken) on stdout, indented. */
static int print_json(json_t *v)
{
    json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(v);
    return 0;
}

/* library upload NAME FILE: the file is read here, so that its size is
 * known before deciding on progress. */
static int library_upload(praas_client_t *cl, const char *name, const char *file, int mode)
{
    praas_library_info_t li;
    struct progress pr;
    char *data;
    size_t len;
    int rc;

    if (read_all(file, &data, &len) < 0)
        return 1;
    progress_init(&pr, "upload", mode, len);
    rc = praas_library_upload(cl, name, data, len, pr.on ? progress_client : NULL, &pr, &li);
    progress_end(&pr, rc == 0);
    free(data);
    if (rc < 0)
        return fail(rc);
    return print_json(library_json(&li));
}

static int cmd_library(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : NULL;
    praas_library_info_t li, *list = NULL;
    praas_client_t *cl;
    size_t n = 0;
    int rc, npos;
    json_t *arr;

    if (sub == NULL || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        fputs(library_help, sub ? stdout : stderr);
        return sub ? 0 : EXIT_USAGE;
    }
    if (strcmp(sub, "upload") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "show") != 0 &&
        strcmp(sub, "delete") != 0)
        return usage_error("unknown library command '%s' (upload, list, show, delete)", sub);
    argc--;
    argv++;
    PARSE(library_help, {"progress", 0}, {"no-progress", 0}, {"quiet", 0});
    npos = sub[0] == 'u' ? 2 : sub[0] == 'l' ? 0 : 1;
    if (npos_ != npos)
        return usage_error(npos == 2 ? "library %s needs NAME and FILE"
                           : npos ? "library %s needs one NAME" : "library %s takes no "
                           "argument", sub);
    rc = praas_client_open(control, &cl);
    if (rc < 0)
        return fail(rc);
    if (sub[0] == 'u') {
        rc = library_upload(cl, pos_[0], pos_[1], progress_mode(v_[0], v_[1], v_[2]));
        praas_client_close(cl);
        return rc;
    }
    if (sub[0] == 'l')
        rc = praas_library_list(cl, &list, &n);
    else if (sub[0] == 's')
        rc = praas_library_get(cl, pos_[0], &li);
    else
        rc = praas_library_delete(cl, pos_[0]);
    praas_client_close(cl);
    if (rc < 0)
        return fail(rc);
    if (sub[0] == 's')
        return print_json(library_json(&li));
    if (sub[0] == 'd')
        return print_json(json_pack("{s:s}", "deleted", pos_[0]));
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, library_json(&list[i]));
    free(list);
    return print_json(json_pack("{s:o}", "libraries", arr));
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int argc, char **argv);
    } cmds[] = {{"process", cmd_process}, {"session", cmd_session}, {"metrics", cmd_metrics},
                {"invoke", cmd_invoke}, {"library", cmd_library}};
    int i = 1;

    while (i < argc && strncmp(argv[i], "--", 2) == 0) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(main_usage, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("praas %s\n", PRAAS_VERSION_STRING);
            return 0;
        }
        if (strcmp(argv[i], "--control") == 0 && i + 1 < argc) {
            control = argv[i + 1];
            i += 2;
        } else if (strncmp(argv[i], "--control=", 10) == 0) {
            control = argv[i] + 10;
            i++;
        } else {
            return usage_error("unknown option '%s'", argv[i]);
        }
    }
    if (i == argc) {
        fputs(main_usage, stderr);
        return EXIT_USAGE;
    }
    for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
        if (strcmp(argv[i], cmds[k].name) != 0)
            continue;
        /* Commands that take no subcommand still need a control plane. */
        if (control == NULL)
            control = getenv("PRAAS_CONTROL");
        if ((control == NULL || *control == '\0')) {
            for (int j = i; j < argc; j++)
                if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0)
                    return cmds[k].fn(argc - i, argv + i);
            return usage_error("%s", "no control plane: give --control URL or set "
                               "PRAAS_CONTROL");
        }
        return cmds[k].fn(argc - i, argv + i);
    }
    return usage_error("unknown command '%s' (process, session, metrics, invoke, "
                       "library)", argv[i]);
}
