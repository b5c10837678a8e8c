/*
 * praas-run's option parser (launcher/options.c), without running
 * anything: every spelling mpirun users write, and every bad usage with the
 * message that names it. TAP output.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "launcher/options.h"
#include "testsuite/lib/tap.h"

#define ok tap_ok

/* Parse a NULL-terminated list of arguments after "praas-run". */
static int parse(lr_opts_t *o, char *err, size_t errlen, ...)
{
    static char *argv[64];
    int argc = 0;
    va_list ap;
    char *a;

    argv[argc++] = "praas-run";
    va_start(ap, errlen);
    while ((a = va_arg(ap, char *)) != NULL && argc < 63)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    return lr_opts_parse(argc, argv, o, err, errlen);
}

/* Expect bad usage, with `needle` in the message. */
#define BAD(needle, ...)                                                                     \
    do {                                                                                     \
        lr_opts_t o_;                                                                        \
        char e_[256];                                                                        \
        int rc_ = parse(&o_, e_, sizeof(e_), __VA_ARGS__, (char *)NULL);                     \
        ok(rc_ == -1 && strstr(e_, needle) != NULL, "bad usage %s: \"%s\"", #__VA_ARGS__, e_); \
    } while (0)

int main(void)
{
    lr_opts_t o;
    char err[256];
    int rc;

    tap_plan(51);

    rc = parse(&o, err, sizeof(err), "-n", "4", "hostname", (char *)NULL);
    ok(rc == 0 && o.np == 4, "-n 4 gives 4 workers");
    ok(rc == 0 && o.prog_argv && strcmp(o.prog_argv[0], "hostname") == 0 && !o.prog_argv[1],
       "program is hostname, no arguments");
    ok(rc == 0 && o.action == LR_ACTION_RUN && o.bind == LR_BIND_NONE && !o.tag_output &&
           !o.report_bindings && o.timeout_s == 0 && !o.store && !o.transport && !o.verbose,
       "defaults: run, no binding, no tags, no timeout, memory store, inherited transport");
    lr_opts_free(&o);

    rc = parse(&o, err, sizeof(err), "-np", "3", "./a.out", (char *)NULL);
    ok(rc == 0 && o.np == 3, "-np 3");
    lr_opts_free(&o);
    rc = parse(&o, err, sizeof(err), "--np", "5", "x", (char *)NULL);
    ok(rc == 0 && o.np == 5, "--np 5");
    lr_opts_free(&o);
    rc = parse(&o, err, sizeof(err), "--np=6", "x", (char *)NULL);
    ok(rc == 0 && o.np == 6, "--np=6");
    lr_opts_free(&o);
    rc = parse(&o, err, sizeof(err), "-n7", "x", (char *)NULL);
    ok(rc == 0 && o.np == 7, "-n7 (attached)");
    lr_opts_free(&o);
    rc = parse(&o, err, sizeof(err), "-c", "2", "x", (char *)NULL);
    ok(rc == 0 && o.np == 2, "-c 2");
    lr_opts_free(&o);
    rc = parse(&o, err, sizeof(err), "-n", "2", "-n", "9", "x", (char *)NULL);
    ok(rc == 0 && o.np == 9, "the last -n wins");
    lr_opts_free(&o);

    /* The program's own options are its own. */
    rc = parse(&o, err, sizeof(err), "-n", "2", "prog", "-n", "5", "--tag-output", (char *)NULL);
    ok(rc == 0 && o.np == 2 && !o.tag_output && strcmp(o.prog_argv[1], "-n") == 0 &&
           strcmp(o.prog_argv[3], "--tag-output") == 0 && !o.prog_argv[4],
       "options after the program are the program's");
    lr_opts_free(&o);
    rc = parse(&o, err, sizeof(err), "-n", "1", "--", "-weird", "a", (char *)NULL);
    ok(rc == 0 && strcmp(o.prog_argv[0], "-weird") == 0 && strcmp(o.prog_argv[1], "a") == 0,
       "-- ends the options");
    lr_opts_free(&o);

    rc = parse(&o, err, sizeof(err), "-n", "2", "-x", "FOO", "-x", "BAR=1=2", "-xBAZ=q", "-x",
               "EMPTY=", "p", (char *)NULL);
    ok(rc == 0 && o.nexports == 4, "four -x");
    ok(rc == 0 && strcmp(o.exports[0], "FOO") == 0, "-x FOO kept as a name");
    ok(rc == 0 && strcmp(o.exports[1], "BAR=1=2") == 0, "-x BAR=1=2 keeps the value's '='");
    ok(rc == 0 && strcmp(o.exports[2], "BAZ=q") == 0, "-xBAZ=q (attached)");
    ok(rc == 0 && strcmp(o.exports[3], "EMPTY=") == 0, "-x EMPTY= (empty value)");
    lr_opts_free(&o);

    rc = parse(&o, err, sizeof(err), "-n", "2", "--tag-output", "--report-bindings", "--bind-to",
               "core", "--timeout", "2.5", "--store", "redis://h:1", "--transport", "ofi", "-v",
               "-v", "p", (char *)NULL);
    ok(rc == 0 && o.tag_output && o.report_bindings, "--tag-output --report-bindings");
    ok(rc == 0 && o.bind == LR_BIND_CORE, "--bind-to core");
    ok(rc == 0 && o.timeout_s == 2.5 && strcmp(o.timeout_text, "2.5") == 0, "--timeout 2.5");
    ok(rc == 0 && o.store && strcmp(o.store, "redis://h:1") == 0, "--store redis://h:1");
    ok(rc == 0 && o.transport && strcmp(o.transport, "ofi") == 0, "--transport ofi");
    ok(rc == 0 && o.verbose == 2, "-v -v counts 2");
    lr_opts_free(&o);

    rc = parse(&o, err, sizeof(err), "-n", "2", "-tag-output", "-bind-to", "numa", "-vv",
               "--verbose", "p", (char *)NULL);
    ok(rc == 0 && o.tag_output && o.bind == LR_BIND_NUMA, "one-dash long options, numa");
    ok(rc == 0 && o.verbose == 3, "-vv --verbose counts 3");
    lr_opts_free(&o);
    rc = parse(&o, err, sizeof(err), "-n", "2", "--bind-to=none", "p", (char *)NULL);
    ok(rc == 0 && o.bind == LR_BIND_NONE, "--bind-to=none");
    lr_opts_free(&o);
    rc = parse(&o, err, sizeof(err), "-n", "2", "p", (char *)NULL);
    ok(rc == 0 && !o.keep_going && !o.elastic, "neither --keep-going nor --elastic by default");
    lr_opts_free(&o);
    rc = parse(&o, err, sizeof(err), "-n", "2", "--keep-going", "p", (char *)NULL);
    ok(rc == 0 && o.keep_going && !o.elastic, "--keep-going");
    lr_opts_free(&o);
    rc = parse(&o, err, sizeof(err), "-n", "2", "-elastic", "p", (char *)NULL);
    ok(rc == 0 && o.keep_going && o.elastic, "-elastic implies --keep-going");
    lr_opts_free(&o);

    rc = parse(&o, err, sizeof(err), "--help", (char *)NULL);
    ok(rc == 0 && o.action == LR_ACTION_HELP, "--help needs neither -n nor a program");
    lr_opts_free(&o);
    rc = parse(&o, err, sizeof(err), "-h", (char *)NULL);
    ok(rc == 0 && o.action == LR_ACTION_HELP, "-h");
    lr_opts_free(&o);
    rc = parse(&o, err, sizeof(err), "--help-env", (char *)NULL);
    ok(rc == 0 && o.action == LR_ACTION_HELP_ENV, "--help-env");
    lr_opts_free(&o);
    rc = parse(&o, err, sizeof(err), "--version", (char *)NULL);
    ok(rc == 0 && o.action == LR_ACTION_VERSION, "--version");
    lr_opts_free(&o);

    BAD("missing -n", "hostname");
    BAD("missing the program", "-n", "2");
    BAD("at least 1", "-n", "0");
    BAD("at least 1", "-np", "-3", "p");
    BAD("not 'abc'", "-n", "abc", "p");
    BAD("not '4x'", "-n", "4x", "p");
    BAD("at most", "-n", "99999999", "p");
    BAD("-n needs a value", "-n");
    BAD("unknown option '--frobnicate'", "-n", "2", "--frobnicate", "p");
    BAD("unknown option '-q'", "-n", "2", "-q", "p");
    BAD("--bind-to socket: unknown binding", "-n", "2", "--bind-to", "socket", "p");
    BAD("--bind-to needs a value", "-n", "2", "--bind-to");
    BAD("--timeout 0", "-n", "2", "--timeout", "0", "p");
    BAD("not 'soon'", "-n", "2", "--timeout", "soon", "p");
    BAD("unknown transport", "-n", "2", "--transport", "tcp", "p");
    BAD("'1BAD' is not a valid variable name", "-n", "2", "-x", "1BAD=2", "p");
    BAD("'' is not a valid variable name", "-n", "2", "-x", "=2", "p");
    BAD("--tag-output takes no value", "-n", "2", "--tag-output=yes", "p");
    BAD("--elastic takes no value", "-n", "2", "--elastic=1", "p");

    return tap_exit();
}
