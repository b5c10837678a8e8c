/*
 * praas-run's command line: the options, their parser and the usage text.
 *
 * The parser does no I/O and keeps no global state, so the unit test
 * (testsuite/unit/test_run_options.c) can feed it any argument vector.
 */
#ifndef PRAAS_LAUNCHER_OPTIONS_H
#define PRAAS_LAUNCHER_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

/* The largest -n, the same bound as PRAAS_SIZE in src/core/config.h. */
#define LR_MAX_WORKERS 1048576

/* What main() should do once the command line is parsed. */
enum lr_action {
    LR_ACTION_RUN = 0,
    LR_ACTION_HELP,
    LR_ACTION_HELP_ENV,
    LR_ACTION_VERSION,
};

enum lr_bind_kind {
    LR_BIND_NONE = 0,
    LR_BIND_CORE,
    LR_BIND_NUMA,
};

typedef struct lr_opts {
    enum lr_action action;
    int np;                  /* -n; 0 until given */
    enum lr_bind_kind bind;  /* --bind-to */
    int report_bindings;     /* --report-bindings */
    int tag_output;          /* --tag-output */
    double timeout_s;        /* --timeout; 0: none */
    const char *timeout_text; /* the value as given, for messages */
    const char *store;       /* --store; NULL: memory */
    const char *process;     /* --process; NULL: a new process, deleted at the end */
    const char *transport;   /* --transport; NULL: inherited PRAAS_TRANSPORT */
    int verbose;             /* number of -v */
    int keep_going;          /* --keep-going (also set by --elastic) */
    int elastic;             /* --elastic: SIGUSR2 removes a worker */
    /* -x: each entry is "VAR" (export the launcher's value) or "VAR=value".
     * The strings point into argv; the array is malloc'd. */
    const char **exports;
    int nexports;
    /* The program and its arguments: points into argv, NULL-terminated. */
    char **prog_argv;
} lr_opts_t;

/* Parse argv[1..argc-1] into *opts (which is overwritten). Parsing stops at
 * the first argument that is not an option (the program) or after "--".
 * Options take their value as the next argument or after '=' (--np=4,
 * --bind-to=core), short ones also attached (-n4, -xVAR=v); long options
 * are also accepted with one dash, as mpirun does (-np 4, -tag-output).
 * Returns 0, or -1 for bad usage with a message naming the problem in err
 * (without a trailing newline or the "see --help" hint). On -1, *opts has
 * been released. With --help, --help-env or --version the rest is still
 * parsed but -n and the program are not required. */
int lr_opts_parse(int argc, char **argv, lr_opts_t *opts, char *err, size_t errlen);

/* Release what lr_opts_parse() allocated. Safe to call twice. */
void lr_opts_free(lr_opts_t *opts);

/* The name of a bind kind ("none", "core", "numa"). */
const char *lr_bind_name(enum lr_bind_kind kind);

/* Print the full usage text. */
void lr_usage(FILE *out);

#endif /* PRAAS_LAUNCHER_OPTIONS_H */
