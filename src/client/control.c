/*
 * The public client library's control-plane calls on processes and sessions
 * (praas/client.h): create and delete processes, allocate, list, swap and
 * retrieve sessions, read usage. praas_session_delete is in client.c: it
 * also drops the session's direct connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <praas/client.h>

#include "client/client_int.h"
#include "client/http.h"
#include "core/common.h"
#include "core/error.h"

static void cl_copy_str(char *dst, size_t size, json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    snprintf(dst, size, "%s", v ? v : "");
}

static void cl_info_from(json_t *v, praas_session_info_t *info)
{
    memset(info, 0, sizeof(*info));
    cl_copy_str(info->id, sizeof(info->id), v, "id");
    cl_copy_str(info->process, sizeof(info->process), v, "process");
    cl_copy_str(info->state, sizeof(info->state), v, "state");
    if (strcmp(info->state, "live") == 0)
        cl_copy_str(info->endpoint, sizeof(info->endpoint), v, "endpoint");
    cl_copy_str(info->storage, sizeof(info->storage), v, "storage");
    info->memory = (size_t)ju(v, "memory");
    info->swapped_ms = ju(v, "swapped_ms");
    info->swaps = (unsigned)ju(v, "swaps");
}

static void cl_usage_from(json_t *v, praas_usage_t *u)
{
    u->invocations = ju(v, "invocations");
    u->cpu_ns = ju(v, "cpu_ns");
    u->wall_ns = ju(v, "wall_ns");
    u->peak_bytes = ju(v, "peak_bytes");
    u->bytes_in = ju(v, "bytes_in");
    u->bytes_out = ju(v, "bytes_out");
    u->swapped_ms = ju(v, "swapped_ms");
    u->control_invocations = ju(v, "control_invocations");
}

/* One JSON request; the session info of the answer into info (may be
 * NULL). */
static int cl_session_call(praas_client_t *cl, const char *method, const char *path,
                           json_t *body, praas_session_info_t *info)
{
    json_t *reply = NULL;
    int rc = cl_http_request(cl_client_url(cl), method, path, body,
                             CL_TIMEOUT_MS + CL_CP_SLACK_MS, NULL, &reply);

    if (rc == 0 && info)
        cl_info_from(reply, info);
    json_decref(reply);
    return rc;
}

/* A session route without a body (GET, or a POST of swap, retrieve);
 * the session info of the answer into info (may be NULL). */
static int cl_session_route(praas_client_t *cl, const char *method, const char *session,
                            const char *suffix, praas_session_info_t *info)
{
    char path[160];
    int rc = cl_session_path(session, suffix, path);

    return rc ? rc : cl_session_call(cl, method, path, NULL, info);
}

/* ---- processes and sessions ---- */

PRAAS_API int praas_process_create(praas_client_t *cl, const char *id, const char *library,
                                   const praas_limits_t *limits, char id_out[PRAAS_ID_MAX])
{
    json_t *body, *reply = NULL, *lim;
    const char *got;
    int rc;

    if (cl == NULL || library == NULL || id_out == NULL)
        return core_err(PRAAS_ERR_INVALID, "praas_process_create: NULL client, library or "
                        "id_out");
    if (id && (rc = cl_id_check("process id", id)) < 0)
        return rc;
    body = json_pack("{s:s}", "library", library);
    if (body == NULL)
        return core_err(PRAAS_ERR_NOMEM, "cannot build a request");
    if (id)
        json_object_set_new(body, "id", json_string(id));
    if (limits) {
        lim = json_object();
        if (limits->session_memory)
            json_object_set_new(lim, "session_memory",
                                json_integer((json_int_t)limits->session_memory));
        if (limits->max_functions)
            json_object_set_new(lim, "max_functions", json_integer(limits->max_functions));
        if (limits->memory_increment)
            json_object_set_new(lim, "memory_increment",
                                json_integer((json_int_t)limits->memory_increment));
        json_object_set_new(body, "limits", lim);
    }
    rc = cl_http_request(cl_client_url(cl), "POST", "/v1/processes", body, CL_TIMEOUT_MS,
                         NULL, &reply);
    json_decref(body);
    if (rc)
        return rc;
    got = json_string_value(json_object_get(reply, "id"));
    if (got == NULL || strlen(got) >= PRAAS_ID_MAX) {
        json_decref(reply);
        return core_err(PRAAS_ERR_PROTOCOL, "process creation answered without an id");
    }
    snprintf(id_out, PRAAS_ID_MAX, "%s", got);
    json_decref(reply);
    return 0;
}

PRAAS_API int praas_process_delete(praas_client_t *cl, const char *process)
{
    int rc = cl_id_check("process id", process);
    return rc ? rc : cl_process_delete(cl_client_url(cl), process);
}

PRAAS_API int praas_session_alloc(praas_client_t *cl, const char *process, size_t memory,
                                  praas_session_info_t *info)
{
    char path[160];
    json_t *body;
    int rc = cl_process_path(process, "/sessions", path);

    if (rc)
        return rc;
    body = memory ? json_pack("{s:I}", "memory", (json_int_t)memory) : json_object();
    if (body == NULL)
        return core_err(PRAAS_ERR_NOMEM, "cannot build a request");
    rc = cl_session_call(cl, "POST", path, body, info);
    json_decref(body);
    return rc;
}

PRAAS_API int praas_session_get(praas_client_t *cl, const char *session,
                                praas_session_info_t *info)
{
    return cl_session_route(cl, "GET", session, "", info);
}

PRAAS_API int praas_session_list(praas_client_t *cl, const char *process,
                                 praas_session_info_t **list_p, size_t *n_p)
{
    praas_session_info_t *list;
    json_t *reply = NULL, *rows;
    char path[160];
    size_t n = 0;
    int rc = cl_process_path(process, "/sessions", path);

    if (rc)
        return rc;
    rc = cl_http_request(cl_client_url(cl), "GET", path, NULL, CL_TIMEOUT_MS, NULL,
                         &reply);
    if (rc)
        return rc;
    rows = json_object_get(reply, "sessions");
    list = calloc(json_array_size(rows) + 1, sizeof(*list));
    if (list == NULL) {
        json_decref(reply);
        return core_err(PRAAS_ERR_NOMEM, "no memory for a list of sessions");
    }
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *row = json_array_get(rows, i);
        if (json_object_get(row, "state"))  /* ranks of an SPMD run have none */
            cl_info_from(row, &list[n++]);
    }
    json_decref(reply);
    *list_p = list;
    *n_p = n;
    return 0;
}

PRAAS_API int praas_session_swap(praas_client_t *cl, const char *session,
                                 praas_session_info_t *info)
{
    return cl_session_route(cl, "POST", session, "/swap", info);
}

PRAAS_API int praas_session_retrieve(praas_client_t *cl, const char *session,
                                     praas_session_info_t *info)
{
    return cl_session_route(cl, "POST", session, "/retrieve", info);
}

static int cl_metrics(praas_client_t *cl, const char *path, praas_usage_t *usage)
{
    json_t *reply = NULL;
    int rc = cl_http_request(cl_client_url(cl), "GET", path, NULL, CL_TIMEOUT_MS, NULL,
                             &reply);

    if (rc)
        return rc;
    memset(usage, 0, sizeof(*usage));
    cl_usage_from(reply, usage);
    json_decref(reply);
    return 0;
}

PRAAS_API int praas_session_metrics(praas_client_t *cl, const char *session,
                                    praas_usage_t *usage)
{
    char path[160];
    int rc = cl_session_path(session, "/metrics", path);

    return rc ? rc : cl_metrics(cl, path, usage);
}

PRAAS_API int praas_process_metrics(praas_client_t *cl, const char *process,
                                    praas_usage_t *usage)
{
    char path[160];
    int rc = cl_process_path(process, "/metrics", path);

    return rc ? rc : cl_metrics(cl, path, usage);
}
