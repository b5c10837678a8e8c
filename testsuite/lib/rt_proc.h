/*
 * Helpers for the tests that drive praas-process (runtime_direct.c,
 * runtime_bad.c): start one and read its endpoint line, wait for its exit,
 * connect, invoke.
 */
#ifndef PRAAS_TEST_RT_PROC_H
#define PRAAS_TEST_RT_PROC_H

#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/common.h"
#include "core/error.h"
#include "runtime/dp.h"
#include "testsuite/lib/tap.h"

#define TMO 30000 /* every call's bound, ms */

/* Find praas-process and the example library in the build tree; 0 or -1
 * (with a Bail out! printed). */
static char g_prog[1024], g_lib[1024];
static atomic_ullong g_id = 1000;

static inline int rt_test_paths(void)
{
    const char *top = getenv("top_builddir") ? getenv("top_builddir") : "..";

    snprintf(g_prog, sizeof(g_prog), "%s/launcher/praas-process", top);
    snprintf(g_lib, sizeof(g_lib), "%s/examples/functions/.libs/praas_examples.so", top);
    if (access(g_prog, X_OK) || access(g_lib, R_OK)) {
        printf("Bail out! %s or %s is not built\n", g_prog, g_lib);
        return -1;
    }
    return 0;
}


struct proc {
    pid_t pid;
    int in_fd; /* its stdin */
    char ep[300];
};

/* Start praas-process with the storage URL and extra arguments; wait for
 * its endpoint line (30 s). */
static inline int proc_start(struct proc *p, const char *storage, const char *extra1,
                      const char *extra2)
{
    int out[2], in[2];
    char line[400];
    size_t n = 0;

    if (pipe(out) || pipe(in))
        return -1;
    p->pid = fork();
    if (p->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        const char *argv[16] = {g_prog, "--library", g_lib, "--storage", storage,
                                "--exit-on-stdin-eof"};
        int k = 6;
        if (extra1)
            argv[k++] = extra1;
        if (extra2)
            argv[k++] = extra2;
        execv(g_prog, (char **)argv);
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
        ssize_t k = read(out[0], line + n, 1);
        if (k <= 0)
            break;
        if (line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    close(out[0]);
    if (strncmp(line, "endpoint ", 9) != 0) {
        tap_diag("praas-process printed '%s' instead of its endpoint", line);
        return -1;
    }
    snprintf(p->ep, sizeof(p->ep), "%.290s", line + 9);
    return 0;
}

/* Wait up to ms for the process to exit; its status or -1. */
static inline int proc_wait(struct proc *p, int ms)
{
    int st;

    for (int i = 0; i < ms / 10; i++) {
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        poll(NULL, 0, 10);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, &st, 0);
    return -1;
}

static inline int conn(struct proc *p, struct rt_conn **c_p)
{
    int rc = rt_conn_open(p->ep, TMO, c_p);
    if (rc)
        tap_diag("rt_conn_open %s: %s", p->ep, praas_errmsg());
    return rc;
}

static inline int hello(struct rt_conn *c, const char *sid)
{
    return rt_conn_call(c, RT_MSG_HELLO, atomic_fetch_add(&g_id, 1), sid, NULL, NULL, 0, TMO,
                        NULL, NULL, NULL);
}

/* Invoke fn with a payload and an optional meta (JSON text); the result in
 * *out_p (malloc'd, may be NULL) and *len_p. */
static inline int invoke_id(struct rt_conn *c, uint64_t id, const char *fn, const void *p, size_t n,
                     const char *meta_text, int tmo, void **out_p, size_t *len_p)
{
    json_t *meta = meta_text ? json_loads(meta_text, 0, NULL) : NULL;
    void *out = NULL;
    size_t len = 0;
    int rc = rt_conn_call(c, RT_MSG_INVOKE, id, fn, meta, p, n, tmo, NULL, &out, &len);

    json_decref(meta);
    if (out_p)
        *out_p = out;
    else
        free(out);
    if (len_p)
        *len_p = len;
    return rc;
}

static inline int invoke(struct rt_conn *c, const char *fn, const void *p, size_t n, void **out_p,
                  size_t *len_p)
{
    return invoke_id(c, atomic_fetch_add(&g_id, 1), fn, p, n, NULL, TMO, out_p, len_p);
}

static inline int64_t invoke_i64(struct rt_conn *c, const char *fn, int64_t arg, int with_arg)
{
    void *out = NULL;
    size_t len = 0;
    int64_t v = INT64_MIN;

    if (invoke(c, fn, &arg, with_arg ? 8 : 0, &out, &len) == 0 && len == 8)
        memcpy(&v, out, 8);
    free(out);
    return v;
}


#endif /* PRAAS_TEST_RT_PROC_H */
