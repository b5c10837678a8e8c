/*
 * The HTTP routes of serverless processes and sessions (doc/control-api.md,
 * "Serverless processes and sessions"): parsing paths, bodies and query
 * strings, and answering; the work is in sessions.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/libraries.h"
#include "control/routes.h"
#include "control/serverless.h"
#include "core/common.h"
#include "core/error.h"
#include "runtime/dp.h"

#define CP_LIBRARY_MAX 4096

int cp_route_is_raw(const char *path)
{
    return strstr(path, "/invoke/") != NULL;
}

int cp_sl_proc_fields(struct praas_control *ctl, struct cp_reply *rep, json_t *body,
                      json_t *rec)
{
    char path[CP_LIBRARY_MAX + 1];
    json_int_t mem, maxf, inc;
    const char *lib, *name = NULL;
    json_t *lim;
    size_t len;

    if (cp_field_str(rep, body, "library", 0, &lib, &len) < 0 ||
        cp_field_obj(rep, body, "limits", 0, &lim) < 0)
        return -1;
    if (lib == NULL && lim == NULL)
        return 0;
    if (lib == NULL)
        return cp_reply_error(rep, 400, "field 'limits' needs a field 'library' (the "
                              "function library whose sessions they limit)");
    if (strlen(lib) != len)
        return cp_reply_error(rep, 400, "field 'library' holds a NUL character");
    /* Not a path: the name of an uploaded library (libraries.h). */
    if (len && lib[0] != '/') {
        if (cp_lib_resolve(ctl, lib, path, sizeof(path), rep) < 0)
            return -1;
        name = lib;
        lib = path;
        len = strlen(path);
    }
    if (len == 0 || len > CP_LIBRARY_MAX || lib[0] != '/')
        return cp_reply_error(rep, 400, "field 'library' must be an absolute path of at most "
                              "%d characters or the name of an uploaded library",
                              CP_LIBRARY_MAX);
    if (access(lib, R_OK) != 0)
        return cp_reply_error(rep, 400, "field 'library': cannot read '%s': %s", lib,
                              strerror(errno));
    /* One reference of our own either way: absent limits are an empty
     * object, so that every limit takes its default below. */
    lim = lim ? json_incref(lim) : json_object();
    if (lim == NULL)
        return cp_reply_error(rep, 503, "no memory for the limits");
    if (cp_field_int(rep, lim, "session_memory", 0, 4096, (json_int_t)RT_PAYLOAD_MAX,
                     (json_int_t)CP_SESSION_MEMORY_DEFAULT, &mem) < 0 ||
        cp_field_int(rep, lim, "max_functions", 0, 1, 1024, CP_MAX_FUNCTIONS_DEFAULT,
                     &maxf) < 0 ||
        cp_field_int(rep, lim, "memory_increment", 0, 1, (json_int_t)RT_PAYLOAD_MAX,
                     (json_int_t)CP_MEMORY_INCREMENT_DEFAULT, &inc) < 0) {
        json_decref(lim);
        return -1;
    }
    json_decref(lim);
    if (inc > mem)
        return cp_reply_error(rep, 400, "limits: memory_increment %" JSON_INTEGER_FORMAT
                              " is larger than session_memory %" JSON_INTEGER_FORMAT, inc, mem);
    json_object_set_new(rec, "library", json_string(lib));
    if (name)
        json_object_set_new(rec, "library_name", json_string(name));
    json_object_set_new(rec, "limits", json_pack("{s:I, s:I, s:I}", "session_memory", mem,
                                                 "max_functions", maxf, "memory_increment",
                                                 inc));
    return 0;
}

int cp_sl_route_alloc(struct praas_control *ctl, const char *id, json_t *body,
                      struct cp_reply *rep)
{
    json_int_t memory;
    char sid[24];
    json_t *view;

    if (cp_field_int(rep, body, "memory", 0, 1, (json_int_t)RT_PAYLOAD_MAX, 0, &memory) < 0)
        return -1;
    if (cp_sl_alloc(ctl, id, memory, sid, rep) < 0)
        return -1;
    if (cp_sl_view(ctl, sid, rep, &view) < 0)
        return -1;
    return cp_reply_json(rep, 201, view);
}

/* Read an unsigned decimal query argument; -1 after answering 400. */
static int cp_query_u64(const struct cp_request *req, struct cp_reply *rep, const char *name,
                        uint64_t lo, uint64_t hi, int *present_p, uint64_t *val_p)
{
    const char *v = cp_query_arg(req, name);
    char *end;
    unsigned long long x;

    *present_p = v != NULL;
    if (v == NULL)
        return 0;
    errno = 0;
    x = strtoull(v, &end, 10);
    if (*v < '0' || *v > '9' || *end || errno || x < lo || x > hi)
        return cp_reply_error(rep, 400, "query argument '%s' is '%.40s', not a number in "
                              "[%" PRIu64 ", %" PRIu64 "]", name, v, lo, hi);
    *val_p = x;
    return 0;
}

/* The invocation options of the query string: id, deps (comma-separated
 * ids), nargs, arg, timeout_ms. */
static int cp_inv_opts_parse(const struct cp_request *req, struct cp_reply *rep,
                             struct cp_inv_opts *io)
{
    uint64_t id = 0, nargs = 0, arg = 0, tmo = 0;
    int has_id, has_nargs, has_arg, has_tmo;
    const char *deps = cp_query_arg(req, "deps");
    json_t *meta;

    memset(io, 0, sizeof(*io));
    if (cp_query_u64(req, rep, "id", 1, CP_INVOCATION_ID_BIT - 1, &has_id, &id) < 0 ||
        cp_query_u64(req, rep, "nargs", 1, 1 << 20, &has_nargs, &nargs) < 0 ||
        cp_query_u64(req, rep, "arg", 0, (1 << 20) - 1, &has_arg, &arg) < 0 ||
        cp_query_u64(req, rep, "timeout_ms", 1, 86400000, &has_tmo, &tmo) < 0)
        return -1;
    if (has_arg && !has_nargs)
        return cp_reply_error(rep, 400, "query argument 'arg' needs 'nargs'");
    if (has_nargs && (!has_arg || arg >= nargs))
        return cp_reply_error(rep, 400, "a multi-source invocation needs 'arg' in [0, nargs "
                              "= %" PRIu64 ")", nargs);
    if (has_nargs && !has_id)
        return cp_reply_error(rep, 400, "a multi-source invocation needs the 'id' its "
                              "%" PRIu64 " callers share", nargs);
    meta = json_object();
    if (meta == NULL)
        return cp_reply_error(rep, 503, "no memory for an invocation");
    if (deps && *deps) {
        json_t *arr = json_array();
        const char *p = deps;
        json_object_set_new(meta, "deps", arr);
        while (arr && *p) {
            char *end;
            errno = 0;
            unsigned long long d = strtoull(p, &end, 10);
            if (*p < '0' || *p > '9' || errno || d == 0 || (*end && *end != ',') ||
                json_array_size(arr) >= 1024) {
                json_decref(meta);
                return cp_reply_error(rep, 400, "query argument 'deps' must be up to 1024 "
                                      "invocation ids separated by commas, not '%.60s'", deps);
            }
            json_array_append_new(arr, json_integer((json_int_t)d));
            p = *end ? end + 1 : end;
        }
    }
    if (has_nargs) {
        json_object_set_new(meta, "nargs", json_integer((json_int_t)nargs));
        json_object_set_new(meta, "arg", json_integer((json_int_t)arg));
    }
    if (has_tmo)
        json_object_set_new(meta, "timeout_ms", json_integer((json_int_t)tmo));
    io->id = id;
    io->timeout_ms = (int)tmo;
    if (json_object_size(meta) == 0) {
        json_decref(meta);
        meta = NULL;
    }
    io->meta = meta;
    return 0;
}

/* A function name is 1 to RT_NAME_MAX - 1 characters of [A-Za-z0-9_]
 * (a C symbol). */
static int cp_fn_ok(const char *fn, struct cp_reply *rep)
{
    size_t n = strlen(fn);

    for (size_t i = 0; i < n; i++) {
        char c = fn[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_'))
            n = 0;
    }
    if (n == 0 || n >= RT_NAME_MAX || (fn[0] >= '0' && fn[0] <= '9'))
        return cp_reply_error(rep, 400, "function name '%.80s' is not a C identifier of at "
                              "most %d characters", fn, RT_NAME_MAX - 1);
    return 0;
}

static int cp_invoke(struct praas_control *ctl, const struct cp_request *req, const char *sid,
                     const char *fn, struct cp_reply *rep)
{
    struct cp_inv_opts io;
    int rc;

    if (cp_fn_ok(fn, rep) < 0 || cp_inv_opts_parse(req, rep, &io) < 0)
        return -1;
    rc = cp_sl_invoke(ctl, sid, fn, req->body, req->body_len, &io, rep);
    json_decref(io.meta);
    return rc;
}

static int cp_is(const struct cp_request *req, const char *m)
{
    return strcmp(req->method, m) == 0;
}

void cp_sl_route_sessions(struct praas_control *ctl, const struct cp_request *req,
                          struct cp_reply *rep)
{
    static const char pre[] = "/v1/sessions/";
    const char *sid = req->path + sizeof(pre) - 1, *rest = strchr(sid, '/');
    size_t len = rest ? (size_t)(rest - sid) : strlen(sid);
    char sidbuf[72];
    json_t *v;

    if (rest == NULL)
        rest = "";
    if (strcmp(rest, "") == 0) {
        if (!cp_is(req, "GET") && !cp_is(req, "DELETE"))
            return (void)cp_not_allowed(req, rep, "GET, DELETE");
    } else if (strcmp(rest, "/swap") == 0 || strcmp(rest, "/retrieve") == 0 ||
               strncmp(rest, "/invoke/", 8) == 0) {
        if (!cp_is(req, "POST"))
            return (void)cp_not_allowed(req, rep, "POST");
    } else if (strcmp(rest, "/metrics") == 0) {
        if (!cp_is(req, "GET"))
            return (void)cp_not_allowed(req, rep, "GET");
    } else {
        cp_reply_error(rep, 404, "no route %s %s (see doc/control-api.md)", req->method,
                       req->path);
        return;
    }
    if (!cp_ident_ok(sid, len)) {
        cp_reply_error(rep, 404, "no session '%.*s'", (int)PRAAS_MIN(len, 80), sid);
        return;
    }
    memcpy(sidbuf, sid, len);
    sidbuf[len] = '\0';
    if (ctl->sl == NULL) {
        cp_reply_error(rep, 503, "this control plane serves no serverless sessions");
        return;
    }
    if (rest[0] == '\0' && cp_is(req, "GET")) {
        if (cp_sl_view(ctl, sidbuf, rep, &v) == 0)
            cp_reply_json(rep, 200, v);
    } else if (rest[0] == '\0') {
        if (cp_sl_delete(ctl, sidbuf, rep) == 0)
            cp_reply_json(rep, 200, json_pack("{s:s}", "deleted", sidbuf));
    } else if (strcmp(rest, "/swap") == 0) {
        cp_sl_swap_out(ctl, sidbuf, rep);
    } else if (strcmp(rest, "/retrieve") == 0) {
        cp_sl_retrieve(ctl, sidbuf, rep);
    } else if (strcmp(rest, "/metrics") == 0) {
        if (cp_sl_session_metrics(ctl, sidbuf, rep, &v) == 0)
            cp_reply_json(rep, 200, v);
    } else {
        cp_invoke(ctl, req, sidbuf, rest + 8, rep);
    }
}

int cp_sl_route_proc(struct praas_control *ctl, const struct cp_request *req, const char *id,
                     const char *rest, struct cp_reply *rep)
{
    const char *fn;
    json_t *usage;
    char sid[24];
    uint64_t memory = 0;
    int has_mem, rc;

    if (ctl->sl == NULL)
        return cp_reply_error(rep, 503, "this control plane serves no serverless sessions");
    if (strcmp(rest, "/metrics") == 0) {
        if (cp_sl_proc_metrics(ctl, id, rep, &usage) < 0)
            return -1;
        return cp_reply_json(rep, 200, usage);
    }
    fn = rest + 8; /* "/invoke/" */
    if (cp_fn_ok(fn, rep) < 0 ||
        cp_query_u64(req, rep, "memory", 1, RT_PAYLOAD_MAX, &has_mem, &memory) < 0)
        return -1;
    if (cp_sl_alloc(ctl, id, (json_int_t)memory, sid, rep) < 0)
        return -1;
    rc = cp_invoke(ctl, req, sid, fn, rep);
    if (rc < 0)
        cp_reply_header(rep, "X-Praas-Session", sid);
    return rc;
}
