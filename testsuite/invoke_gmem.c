/*
 * Sessions in different subprocesses reach each other through global
 * memory (doc/invoke.md, "The praas API in functions"): every subprocess of
 * a process joins the process's view, so an object that a function
 * allocates in one session is opened, read and updated by functions of
 * sessions in other subprocesses. Driven by testsuite/invoke_gmem.sh, which
 * starts praas-control with --sessions-per-subprocess 1 (each session gets
 * a subprocess of its own) and --subprocess-grace 500.
 *
 *   invoke_gmem CONTROL_URL LIBRARY
 *
 * Prints one line per check, "PASS what" or "FAIL what"; exits 0.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <praas/client.h>
#include <praas/errors.h>

#include "client/http.h"
#include "core/common.h"

#define PAYLOAD_BYTES (200u * 1024u + 7u)
#define ADDS 16 /* fetch_add calls from each of two sessions */
#define WAIT_MS 20000

#include "testsuite/lib/verdict.h"

static const char *url;
static praas_client_t *cl;

/* "pid P rank R" of whereami or obj_write. */
static int parse_where(const praas_result_t *r, long *pid_p, int *rank_p)
{
    char buf[64];

    if (r->len == 0 || r->len >= sizeof(buf))
        return -1;
    memcpy(buf, r->data, r->len);
    buf[r->len] = '\0';
    return sscanf(buf, "pid %ld rank %d", pid_p, rank_p) == 2 ? 0 : -1;
}

static int where(const char *sid, long *pid_p, int *rank_p)
{
    praas_result_t r;
    int rc = praas_invoke(cl, sid, "whereami", NULL, 0, NULL, &r);

    if (rc)
        return rc;
    rc = parse_where(&r, pid_p, rank_p);
    praas_result_free(&r);
    return rc;
}

/* "NAME\n" + data. */
static unsigned char *named(const char *name, const void *data, size_t len, size_t *n_p)
{
    size_t nl = strlen(name);
    unsigned char *p = malloc(nl + 1 + len + 1);

    if (!p)
        abort();
    memcpy(p, name, nl);
    p[nl] = '\n';
    if (len)
        memcpy(p + nl + 1, data, len);
    *n_p = nl + 1 + len;
    return p;
}

static int read_obj(const char *sid, const char *name, praas_result_t *r)
{
    return praas_invoke(cl, sid, "obj_read", name, strlen(name), NULL, r);
}

/* Whether rank is a member of process proc's published view, with no
 * change pending; -1 when the view cannot be read. */
static int view_member(const char *proc, int rank, int *pending_p)
{
    char path[160];
    json_t *view = NULL, *v;
    size_t i;
    int member = 0;

    snprintf(path, sizeof(path), "/v1/processes/%s/view", proc);
    if (cl_http_request(url, "GET", path, NULL, 5000, NULL, &view))
        return -1;
    json_array_foreach(json_object_get(view, "members"), i, v)
        member |= json_integer_value(v) == rank;
    *pending_p = json_object_get(view, "pending") != NULL;
    json_decref(view);
    return member;
}

/* Wait until rank is (want 1) or is not (want 0) a member, nothing pending. */
static int wait_member(const char *proc, int rank, int want)
{
    for (int i = 0; i < WAIT_MS / 50; i++) {
        int pending, m = view_member(proc, rank, &pending);
        if (m == want && !pending)
            return 1;
        usleep(50000);
    }
    return 0;
}

/* A session of its own subprocess, and where it runs. */
static int session(const char *proc, char sid[PRAAS_ID_MAX], praas_session_info_t *info,
                   long *pid_p, int *rank_p)
{
    int rc = praas_session_alloc(cl, proc, 64u << 10, info);

    if (rc == 0) {
        snprintf(sid, PRAAS_ID_MAX, "%s", info->id);
        rc = where(sid, pid_p, rank_p);
    }
    return rc;
}

int main(int argc, char **argv)
{
    char proc[PRAAS_ID_MAX], s1[PRAAS_ID_MAX], s2[PRAAS_ID_MAX], s3[PRAAS_ID_MAX],
        s4[PRAAS_ID_MAX];
    praas_limits_t lim = {.session_memory = 1u << 20, .max_functions = 4,
                          .memory_increment = 64u << 10};
    praas_session_info_t i1, i2, i3, i4;
    praas_result_t r;
    unsigned char *data, *msg;
    long pid1 = -1, pid2 = -2, pid3 = -3, pid4 = -4, opid;
    int rank1 = -1, rank2 = -1, rank3 = -1, rank4 = -1, orank, rc, ok;
    size_t n;
    uint64_t x = 0x9e3779b97f4a7c15ull, zero = 0, total = 0;
    unsigned char seen[2 * ADDS] = {0};

    if (argc != 3) {
        fprintf(stderr, "usage: invoke_gmem CONTROL_URL LIBRARY\n");
        return 2;
    }
    url = argv[1];
    if (praas_client_open(url, &cl)) {
        printf("FAIL open a client of %s [%s]\n", url, praas_errmsg());
        return 1;
    }
    rc = praas_process_create(cl, NULL, argv[2], &lim, proc);
    if (!check(rc == 0, "create a process with library %s", argv[2]))
        return 1;

    /* Two sessions, two subprocesses, two ranks of one view. */
    rc = session(proc, s1, &i1, &pid1, &rank1);
    check(rc == 0 && rank1 >= 0, "session 1 runs in pid %ld, rank %d of the process's view",
          pid1, rank1);
    rc = session(proc, s2, &i2, &pid2, &rank2);
    check(rc == 0 && rank2 >= 0, "session 2 runs in pid %ld, rank %d", pid2, rank2);
    if (!check(pid1 != pid2 && rank1 != rank2 && strcmp(i1.endpoint, i2.endpoint) != 0,
               "the sessions are in different subprocesses (%s, %s) and ranks", i1.endpoint,
               i2.endpoint))
        return 1;
    check(wait_member(proc, rank1, 1) && wait_member(proc, rank2, 1),
          "GET .../view lists ranks %d and %d as members", rank1, rank2);

    /* An object written in session 1, read in session 2. */
    data = malloc(PAYLOAD_BYTES);
    for (size_t i = 0; i < PAYLOAD_BYTES; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        data[i] = (unsigned char)((x * 0x2545F4914F6CDD1Dull) >> 56);
    }
    msg = named("greeting", data, PAYLOAD_BYTES, &n);
    rc = praas_invoke(cl, s1, "obj_write", msg, n, NULL, &r);
    ok = rc == 0 && parse_where(&r, &opid, &orank) == 0;
    check(ok && opid == pid1 && orank == rank1, "obj_write in session 1 allocates 'greeting' "
          "(%u bytes) at its own rank %d", PAYLOAD_BYTES, orank);
    if (rc == 0)
        praas_result_free(&r);
    free(msg);
    rc = read_obj(s2, "greeting", &r);
    check(rc == 0 && r.len == PAYLOAD_BYTES && memcmp(r.data, data, PAYLOAD_BYTES) == 0,
          "obj_read in session 2 (another subprocess) returns its %zu bytes, byte-exact",
          rc == 0 ? r.len : 0);
    if (rc == 0)
        praas_result_free(&r);

    /* One counter, fetch_add from both sessions at once. */
    msg = named("counter", &zero, sizeof(zero), &n);
    rc = praas_invoke(cl, s2, "obj_write", msg, n, NULL, &r);
    check(rc == 0, "obj_write in session 2 allocates an 8-byte counter");
    if (rc == 0)
        praas_result_free(&r);
    free(msg);
    {
        praas_call_t *calls[2 * ADDS];
        int started = 1, done = 1;
        for (int i = 0; i < 2 * ADDS; i++)
            started &= praas_invoke_async(cl, i % 2 ? s2 : s1, "obj_add", "counter", 7, NULL,
                                          &calls[i]) == 0;
        check(started, "%d obj_add calls started, alternating between the sessions",
              2 * ADDS);
        for (int i = 0; started && i < 2 * ADDS; i++) {
            unsigned long long old = ~0ull;
            rc = praas_call_wait(calls[i], 30000, &r);
            if (rc == 0 && r.len > 0 && r.len < 24) {
                char buf[24];
                memcpy(buf, r.data, r.len);
                buf[r.len] = '\0';
                old = strtoull(buf, NULL, 10);
            }
            if (rc == 0)
                praas_result_free(&r);
            if (old < 2 * ADDS && !seen[old])
                seen[old] = 1;
            else
                done = 0;
        }
        check(done, "every obj_add returned a distinct previous value in [0, %d)", 2 * ADDS);
    }
    rc = read_obj(s1, "counter", &r);
    if (rc == 0 && r.len == sizeof(total))
        memcpy(&total, r.data, sizeof(total));
    check(rc == 0 && total == 2 * ADDS, "the counter reads %" PRIu64 " from session 1",
          total);
    if (rc == 0)
        praas_result_free(&r);

    /* An unknown name: the function's error (PRAAS_ERR_NOT_FOUND) reaches
     * the client with its message, through the control plane and on the
     * direct path (where a NOT_FOUND the subprocess does not mark as "the
     * session is gone" is the function's answer, not a reason to retry). */
    for (int direct = 0; direct < 2; direct++) {
        praas_invoke_opts_t vo = {.flags = direct ? 0 : PRAAS_INVOKE_VIA_CONTROL};
        rc = praas_invoke(cl, s2, "obj_read", "no-such-object", 14, &vo, &r);
        check(rc == PRAAS_ERR_NOT_FOUND && strstr(praas_errmsg(), "no-such-object") &&
                  strstr(praas_errmsg(), "cannot open object"),
              "obj_read of an unknown name fails (%s) with the function's message (%s)",
              praas_strerror(rc), direct ? "direct" : "through the control plane");
        if (rc == 0)
            praas_result_free(&r);
    }

    /* A subprocess started later joins the view and finds the objects. */
    rc = session(proc, s3, &i3, &pid3, &rank3);
    check(rc == 0 && pid3 != pid1 && pid3 != pid2 && rank3 >= 0 && rank3 != rank1 &&
              rank3 != rank2, "session 3 runs in a third subprocess, rank %d", rank3);
    rc = read_obj(s3, "greeting", &r);
    check(rc == 0 && r.len == PAYLOAD_BYTES && memcmp(r.data, data, PAYLOAD_BYTES) == 0,
          "session 3 reads 'greeting' byte-exact");
    if (rc == 0)
        praas_result_free(&r);

    /* Session 1 goes: its subprocess leaves the view once idle, and the
     * object it owned moves to a member that stays. */
    rc = praas_session_delete(cl, s1);
    check(rc == 0, "delete session 1 (the owner of 'greeting')");
    check(wait_member(proc, rank1, 0), "its subprocess leaves the view (rank %d is no member)",
          rank1);
    rc = read_obj(s2, "greeting", &r);
    check(rc == 0 && r.len == PAYLOAD_BYTES && memcmp(r.data, data, PAYLOAD_BYTES) == 0,
          "session 2 still reads 'greeting' byte-exact (it moved)");
    if (rc == 0)
        praas_result_free(&r);

    /* Every session goes: the last member persists what it owns on its way
     * out, and a subprocess started later restores it. */
    rc = praas_session_delete(cl, s2);
    rc |= praas_session_delete(cl, s3);
    check(rc == 0, "delete sessions 2 and 3");
    check(wait_member(proc, rank2, 0) && wait_member(proc, rank3, 0),
          "their subprocesses stop and leave the view");
    rc = session(proc, s4, &i4, &pid4, &rank4);
    check(rc == 0 && rank4 >= 0 && pid4 != pid2 && pid4 != pid3,
          "session 4 runs in a new subprocess, rank %d", rank4);
    rc = read_obj(s4, "greeting", &r);
    check(rc == 0 && r.len == PAYLOAD_BYTES && memcmp(r.data, data, PAYLOAD_BYTES) == 0,
          "session 4 reads 'greeting' byte-exact (restored from storage)");
    if (rc == 0)
        praas_result_free(&r);
    rc = read_obj(s4, "counter", &r);
    total = 0;
    if (rc == 0 && r.len == sizeof(total))
        memcpy(&total, r.data, sizeof(total));
    check(rc == 0 && total == 2 * ADDS, "and the counter reads %" PRIu64, total);
    if (rc == 0)
        praas_result_free(&r);

    rc = praas_process_delete(cl, proc);
    check(rc == 0, "delete the process");
    free(data);
    praas_client_close(cl);
    return 0;
}
