/*
 * praas-run's command line. Hand-written rather than getopt_long() because
 * mpirun users write long options with one dash (-np 4) and the program's
 * own options must be left alone: parsing stops at the program.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launcher/options.h"

enum lr_opt_id {
    OPT_NP,
    OPT_EXPORT,
    OPT_TAG_OUTPUT,
    OPT_BIND_TO,
    OPT_REPORT_BINDINGS,
    OPT_TIMEOUT,
    OPT_STORE,
    OPT_PROCESS,
    OPT_TRANSPORT,
    OPT_VERBOSE,
    OPT_KEEP_GOING,
    OPT_ELASTIC,
    OPT_HELP,
    OPT_HELP_ENV,
    OPT_VERSION,
};

struct lr_opt_def {
    const char *name; /* long name, without dashes */
    char short_name;  /* 0: none */
    int has_arg;
    enum lr_opt_id id;
};

static const struct lr_opt_def opt_defs[] = {
    {"np", 'n', 1, OPT_NP},
    {"n", 'c', 1, OPT_NP},
    {"x", 'x', 1, OPT_EXPORT},
    {"tag-output", 0, 0, OPT_TAG_OUTPUT},
    {"bind-to", 0, 1, OPT_BIND_TO},
    {"report-bindings", 0, 0, OPT_REPORT_BINDINGS},
    {"timeout", 0, 1, OPT_TIMEOUT},
    {"store", 0, 1, OPT_STORE},
    {"process", 0, 1, OPT_PROCESS},
    {"transport", 0, 1, OPT_TRANSPORT},
    {"verbose", 'v', 0, OPT_VERBOSE},
    {"keep-going", 0, 0, OPT_KEEP_GOING},
    {"elastic", 0, 0, OPT_ELASTIC},
    {"help", 'h', 0, OPT_HELP},
    {"help-env", 0, 0, OPT_HELP_ENV},
    {"version", 'V', 0, OPT_VERSION},
};

static const char *const bind_names[] = {"none", "core", "numa"};

const char *lr_bind_name(enum lr_bind_kind kind)
{
    return (unsigned)kind < sizeof(bind_names) / sizeof(bind_names[0]) ? bind_names[kind] : "?";
}

static int opt_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int opt_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static const struct lr_opt_def *opt_find_long(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(opt_defs) / sizeof(opt_defs[0]); i++)
        if (strlen(opt_defs[i].name) == len && strncmp(opt_defs[i].name, name, len) == 0)
            return &opt_defs[i];
    return NULL;
}

static const struct lr_opt_def *opt_find_short(char c)
{
    for (size_t i = 0; i < sizeof(opt_defs) / sizeof(opt_defs[0]); i++)
        if (opt_defs[i].short_name == c)
            return &opt_defs[i];
    return NULL;
}

/* A shell variable name: a letter or '_', then letters, digits or '_'. */
static int opt_valid_var(const char *s, size_t len)
{
    if (len == 0 || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

/* Apply one option; `spell` is how the user wrote its name, for messages. */
static int opt_apply(lr_opts_t *o, const struct lr_opt_def *def, const char *spell,
                     const char *val, char *err, size_t errlen)
{
    char *end;
    const char **grown;

    switch (def->id) {
    case OPT_NP: {
        long n;
        errno = 0;
        n = strtol(val, &end, 10);
        if (errno == ERANGE || end == val || *end != '\0')
            return opt_fail(err, errlen, "%s needs a number of workers, not '%s'", spell, val);
        if (n < 1)
            return opt_fail(err, errlen, "%s %s: the number of workers must be at least 1",
                            spell, val);
        if (n > LR_MAX_WORKERS)
            return opt_fail(err, errlen, "%s %s: at most %d workers", spell, val,
                            LR_MAX_WORKERS);
        o->np = (int)n;
        return 0;
    }
    case OPT_EXPORT: {
        const char *eq = strchr(val, '=');
        size_t len = eq ? (size_t)(eq - val) : strlen(val);
        if (!opt_valid_var(val, len))
            return opt_fail(err, errlen, "%s %s: '%.*s' is not a valid variable name", spell,
                            val, (int)len, val);
        grown = realloc(o->exports, (size_t)(o->nexports + 1) * sizeof(*o->exports));
        if (!grown)
            return opt_fail(err, errlen, "out of memory");
        o->exports = grown;
        o->exports[o->nexports++] = val;
        return 0;
    }
    case OPT_TAG_OUTPUT:
        o->tag_output = 1;
        return 0;
    case OPT_BIND_TO:
        for (int k = 0; k < (int)(sizeof(bind_names) / sizeof(bind_names[0])); k++) {
            if (strcmp(val, bind_names[k]) == 0) {
                o->bind = (enum lr_bind_kind)k;
                return 0;
            }
        }
        return opt_fail(err, errlen, "%s %s: unknown binding (use core, numa or none)", spell,
                        val);
    case OPT_REPORT_BINDINGS:
        o->report_bindings = 1;
        return 0;
    case OPT_TIMEOUT: {
        double t;
        errno = 0;
        t = strtod(val, &end);
        if (errno == ERANGE || end == val || *end != '\0' || !isfinite(t))
            return opt_fail(err, errlen, "%s needs a number of seconds, not '%s'", spell, val);
        if (t <= 0 || t > 1e8)
            return opt_fail(err, errlen, "%s %s: the timeout must be more than 0 seconds", spell,
                            val);
        o->timeout_s = t;
        o->timeout_text = val;
        return 0;
    }
    case OPT_STORE:
        if (!*val)
            return opt_fail(err, errlen, "%s needs a URL (memory or redis://HOST:PORT)", spell);
        o->store = val;
        return 0;
    case OPT_PROCESS: {
        size_t len = strlen(val);
        int ok = len >= 1 && len <= 64;
        for (size_t i = 0; ok && i < len; i++) {
            char c = val[i];
            ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '.' || c == '-';
        }
        if (!ok)
            return opt_fail(err, errlen, "%s '%s': a process id is 1 to 64 characters of "
                            "[A-Za-z0-9_.-]", spell, val);
        o->process = val;
        return 0;
    }
    case OPT_TRANSPORT:
        if (strcmp(val, "ucx") != 0 && strcmp(val, "ofi") != 0)
            return opt_fail(err, errlen, "%s %s: unknown transport (use ucx or ofi)", spell,
                            val);
        o->transport = val;
        return 0;
    case OPT_VERBOSE:
        o->verbose++;
        return 0;
    case OPT_KEEP_GOING:
        o->keep_going = 1;
        return 0;
    case OPT_ELASTIC:
        o->elastic = o->keep_going = 1;
        return 0;
    case OPT_HELP:
        o->action = LR_ACTION_HELP;
        return 0;
    case OPT_HELP_ENV:
        if (o->action != LR_ACTION_HELP)
            o->action = LR_ACTION_HELP_ENV;
        return 0;
    case OPT_VERSION:
        if (o->action == LR_ACTION_RUN)
            o->action = LR_ACTION_VERSION;
        return 0;
    }
    return opt_fail(err, errlen, "internal error: option %s", spell);
}

/* One argument that starts with "--", or with "-" and names a long option.
 * Returns the number of arguments consumed (1 or 2), or -1. */
static int opt_parse_long(lr_opts_t *o, const struct lr_opt_def *def, const char *arg,
                          const char *next, char *err, size_t errlen)
{
    const char *eq = strchr(arg, '=');
    char spell[64];

    snprintf(spell, sizeof(spell), "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
    if (!def->has_arg) {
        if (eq)
            return opt_fail(err, errlen, "%s takes no value", spell);
        return opt_apply(o, def, spell, NULL, err, errlen) ? -1 : 1;
    }
    if (eq)
        return opt_apply(o, def, spell, eq + 1, err, errlen) ? -1 : 1;
    if (!next)
        return opt_fail(err, errlen, "%s needs a value", spell);
    return opt_apply(o, def, spell, next, err, errlen) ? -1 : 2;
}

/* A cluster of short options ("-v", "-vv", "-n4", "-xFOO=1"). Returns the
 * number of arguments consumed, or -1. */
static int opt_parse_short(lr_opts_t *o, const char *arg, const char *next, char *err,
                           size_t errlen)
{
    for (const char *p = arg + 1; *p; p++) {
        const struct lr_opt_def *def = opt_find_short(*p);
        char spell[3] = {'-', *p, '\0'};

        if (!def)
            return opt_fail(err, errlen, "unknown option '%s'", arg);
        if (!def->has_arg) {
            if (opt_apply(o, def, spell, NULL, err, errlen))
                return -1;
            continue;
        }
        if (p[1])
            return opt_apply(o, def, spell, p + 1, err, errlen) ? -1 : 1;
        if (!next)
            return opt_fail(err, errlen, "%s needs a value", spell);
        return opt_apply(o, def, spell, next, err, errlen) ? -1 : 2;
    }
    return 1;
}

int lr_opts_parse(int argc, char **argv, lr_opts_t *opts, char *err, size_t errlen)
{
    lr_opts_t o;
    int i = 1;

    memset(&o, 0, sizeof(o));
    if (errlen)
        err[0] = '\0';
    while (i < argc) {
        const char *arg = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        const struct lr_opt_def *def = NULL;
        int used;

        if (arg[0] != '-' || arg[1] == '\0')
            break; /* the program ("-" alone is a file name too) */
        if (strcmp(arg, "--") == 0) {
            i++;
            break;
        }
        if (arg[1] == '-') {
            const char *name = arg + 2;
            const char *eq = strchr(name, '=');
            def = opt_find_long(name, eq ? (size_t)(eq - name) : strlen(name));
            if (!def) {
                opt_fail(err, errlen, "unknown option '%s'", arg);
                goto err_usage;
            }
        } else {
            /* One dash: a long name if it is one (-np, -tag-output),
             * otherwise a cluster of short options. */
            const char *name = arg + 1;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            if (len > 1)
                def = opt_find_long(name, len);
        }
        used = def ? opt_parse_long(&o, def, arg, next, err, errlen)
                   : opt_parse_short(&o, arg, next, err, errlen);
        if (used < 0)
            goto err_usage;
        i += used;
    }
    if (i < argc)
        o.prog_argv = &argv[i];
    if (o.action == LR_ACTION_RUN) {
        if (o.np == 0) {
            opt_fail(err, errlen, "missing -n N (the number of workers)");
            goto err_usage;
        }
        if (!o.prog_argv) {
            opt_fail(err, errlen, "missing the program to run");
            goto err_usage;
        }
    }
    *opts = o;
    return 0;

err_usage:
    lr_opts_free(&o);
    return -1;
}

void lr_opts_free(lr_opts_t *opts)
{
    free(opts->exports);
    opts->exports = NULL;
    opts->nexports = 0;
}

void lr_usage(FILE *out)
{
    fputs("Usage: praas-run -n N [OPTIONS] PROGRAM [ARGS...]\n"
          "\n"
          "Start an embedded praas control plane, create a process of N workers and run\n"
          "PROGRAM N times on this machine, as ranks 0 to N-1. Any program works; praas\n"
          "programs find their rank and the control plane through the environment.\n"
          "\n"
          "Options (long ones may also be written with one dash, as with mpirun):\n"
          "  -n, -np, --np, -c N     number of workers (required, 1 to 1048576)\n"
          "  -x VAR                  export VAR with the launcher's value to the workers\n"
          "  -x VAR=VALUE            set VAR to VALUE in the workers (repeatable)\n"
          "  --transport ucx|ofi     set PRAAS_TRANSPORT in the workers (default: inherited)\n"
          "  --tag-output            prefix each line of output with \"[RANK] \"\n"
          "  --bind-to core|numa|none\n"
          "                          bind rank R to core (R mod cores) or NUMA node\n"
          "                          (R mod nodes); default: none\n"
          "  --report-bindings       print each rank's binding to stderr\n"
          "  --timeout SECONDS       stop all workers after SECONDS and exit with 124\n"
          "  --store URL             control-plane store: memory (default) or\n"
          "                          redis://HOST:PORT[/DB]\n"
          "  --process ID            run as process ID: create it if it does not exist,\n"
          "                          else start its next run (its global objects stay);\n"
          "                          it is kept, not deleted, at the end (use with a\n"
          "                          shared --store redis://... across runs)\n"
          "  --keep-going            a worker that fails does not stop the others: it is\n"
          "                          removed from the process's view (its objects come\n"
          "                          back from storage, or are reported lost)\n"
          "  --elastic               --keep-going, and SIGUSR2 to praas-run asks the\n"
          "                          highest-ranked worker of the view to leave (it hands\n"
          "                          its objects over, then its program should finish);\n"
          "                          SIGUSR1 starts one more worker (the next rank, with\n"
          "                          PRAAS_JOIN=1) that joins the running process (objects\n"
          "                          only: windows and collectives stay over the -n\n"
          "                          workers); SIGUSR1 and SIGUSR2 are then not forwarded\n"
          "  -v, --verbose           say what the launcher does (twice: also log each\n"
          "                          control-plane request)\n"
          "  -h, --help              print this text and exit\n"
          "      --help-env          print the environment variables praas reads and exit\n"
          "  -V, --version           print the version and exit\n"
          "\n"
          "Each worker gets PRAAS_RANK, PRAAS_SIZE, PRAAS_LOCAL_RANK, PRAAS_LOCAL_SIZE,\n"
          "PRAAS_PROCESS and PRAAS_CONTROL. Rank 0 reads the launcher's standard input,\n"
          "the others /dev/null.\n"
          "\n"
          "Exit status: 0 when every worker exits 0; otherwise the first failing worker's\n"
          "status (128 + N for signal N); with --keep-going, 0 when every worker that did\n"
          "not fail exits 0 (the first failure's status if all fail); 124 on --timeout;\n"
          "127 when the program cannot be found (126 when it cannot be executed); 2 for\n"
          "bad usage; 1 when the launcher itself fails. See praas-run(1).\n",
          out);
}
