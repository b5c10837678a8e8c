/*
 * Function libraries of the public client library (praas/client.h):
 * uploading a shared object to the control plane, listing, inspecting and
 * deleting (doc/control-api.md, "Function libraries").
 *
 * Every call is a raw request (http.c), so that an upload's body goes as
 * is, its progress is seen through libcurl's, and a refusal maps to the
 * code of its status (400 PRAAS_ERR_INVALID, 409 PRAAS_ERR_STATE, 413
 * PRAAS_ERR_RANGE); the JSON answers are decoded here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <praas/client.h>

#include "client/client_int.h"
#include "client/http.h"
#include "core/common.h"
#include "core/error.h"

#define CL_LIB_TIMEOUT_MS 60000
/* An upload gets this much more time per MiB (a 256 MiB one at 1 MiB/s). */
#define CL_LIB_MS_PER_MIB 1000

/* A library name is an id of cl_id_check that does not start with '.'. */
static int cl_lib_name_check(const char *name)
{
    int rc = cl_id_check("library name", name);

    if (rc == 0 && name[0] == '.')
        rc = core_err(PRAAS_ERR_INVALID, "library name '%.80s' starts with '.'", name);
    return rc;
}

static void cl_lib_info_from(json_t *v, praas_library_info_t *info)
{
    const char *s;
    json_int_t size = json_integer_value(json_object_get(v, "size"));

    memset(info, 0, sizeof(*info));
    s = json_string_value(json_object_get(v, "name"));
    snprintf(info->name, sizeof(info->name), "%s", s ? s : "");
    s = json_string_value(json_object_get(v, "sha256"));
    snprintf(info->sha256, sizeof(info->sha256), "%s", s ? s : "");
    s = json_string_value(json_object_get(v, "uploaded"));
    snprintf(info->uploaded, sizeof(info->uploaded), "%s", s ? s : "");
    info->size = size > 0 ? (uint64_t)size : 0;
}

/* libcurl's progress, as praas_progress_fn sees it: the bytes sent. */
struct cl_lib_progress {
    praas_progress_fn fn;
    void *arg;
};

static int cl_lib_progress_cb(void *arg, uint64_t dt, uint64_t dn, uint64_t ut, uint64_t un)
{
    struct cl_lib_progress *p = arg;

    (void)dt;
    (void)dn;
    return p->fn(p->arg, un, ut);
}

/* One request of a library route; the decoded JSON answer (a new
 * reference) in *reply_p when reply_p is not NULL. */
static int cl_lib_call(praas_client_t *cl, const char *method, const char *path,
                       struct cl_raw *r, json_t **reply_p)
{
    json_error_t jerr;
    void *data = NULL;
    size_t len = 0;
    json_t *reply;
    int rc;

    if (r->timeout_ms == 0)
        r->timeout_ms = CL_LIB_TIMEOUT_MS;
    rc = cl_http_raw(cl_client_url(cl), method, path, r, NULL, &data, &len);
    if (rc < 0)
        return rc;
    reply = json_loadb(data ? data : "", len, 0, &jerr);
    free(data);
    if (reply == NULL || !json_is_object(reply)) {
        json_decref(reply);
        return core_err(PRAAS_ERR_PROTOCOL, "%s %s: the control plane's answer is not a JSON "
                        "object", method, path);
    }
    if (reply_p)
        *reply_p = reply;
    else
        json_decref(reply);
    return 0;
}

PRAAS_API int praas_library_upload(praas_client_t *cl, const char *name, const void *data,
                                   size_t len, praas_progress_fn progress, void *arg,
                                   praas_library_info_t *info)
{
    struct cl_lib_progress p = {progress, arg};
    struct cl_raw r = {.body = data, .len = len};
    char path[128];
    json_t *reply;
    int rc;

    if (cl == NULL || (data == NULL && len))
        return core_err(PRAAS_ERR_INVALID, "praas_library_upload: NULL client or data");
    if ((rc = cl_lib_name_check(name)) < 0)
        return rc;
    if (progress) {
        r.progress = cl_lib_progress_cb;
        r.progress_arg = &p;
    }
    r.timeout_ms = CL_LIB_TIMEOUT_MS + (int)PRAAS_MIN(len >> 20, 1u << 20) * CL_LIB_MS_PER_MIB;
    snprintf(path, sizeof(path), "/v1/libraries/%s", name);
    rc = cl_lib_call(cl, "PUT", path, &r, &reply);
    if (rc < 0)
        return rc;
    if (info)
        cl_lib_info_from(reply, info);
    json_decref(reply);
    return 0;
}

int cl_read_file(const char *path, char **data_p, size_t *len_p)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    size_t len = 0, cap = 0;
    char *data = NULL;
    int rc = 0;

    if (f == NULL)
        return core_err(PRAAS_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    for (;;) {
        size_t got;
        if (len == cap) {
            char *grown;
            cap = cap ? cap * 2 : 1 << 20;
            grown = realloc(data, cap);
            if (grown == NULL) {
                rc = core_err(PRAAS_ERR_NOMEM, "no memory to read %s (%zu bytes so far)",
                              path, len);
                goto err;
            }
            data = grown;
        }
        got = fread(data + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        rc = core_err(PRAAS_ERR_IO, "cannot read %s: %s", path, strerror(errno));
        goto err;
    }
    if (f != stdin)
        fclose(f);
    *data_p = data;
    *len_p = len;
    return 0;

err:
    if (f != stdin)
        fclose(f);
    free(data);
    return rc;
}

PRAAS_API int praas_library_upload_file(praas_client_t *cl, const char *name, const char *path,
                                        praas_progress_fn progress, void *arg,
                                        praas_library_info_t *info)
{
    char *data = NULL;
    size_t len = 0;
    int rc;

    if (path == NULL)
        return core_err(PRAAS_ERR_INVALID, "praas_library_upload_file: NULL path");
    if ((rc = cl_lib_name_check(name)) < 0 || (rc = cl_read_file(path, &data, &len)) < 0)
        return rc;
    rc = praas_library_upload(cl, name, data, len, progress, arg, info);
    free(data);
    return rc;
}

PRAAS_API int praas_library_list(praas_client_t *cl, praas_library_info_t **list_p, size_t *n_p)
{
    struct cl_raw r = {0};
    praas_library_info_t *list = NULL;
    json_t *reply, *arr;
    size_t n;
    int rc;

    if (cl == NULL || list_p == NULL || n_p == NULL)
        return core_err(PRAAS_ERR_INVALID, "praas_library_list: NULL argument");
    rc = cl_lib_call(cl, "GET", "/v1/libraries", &r, &reply);
    if (rc < 0)
        return rc;
    arr = json_object_get(reply, "libraries");
    n = json_array_size(arr);
    if (!json_is_array(arr)) {
        json_decref(reply);
        return core_err(PRAAS_ERR_PROTOCOL, "GET /v1/libraries answered without 'libraries'");
    }
    if (n && (list = calloc(n, sizeof(*list))) == NULL) {
        json_decref(reply);
        return core_err(PRAAS_ERR_NOMEM, "no memory for a list of %zu libraries", n);
    }
    for (size_t i = 0; i < n; i++)
        cl_lib_info_from(json_array_get(arr, i), &list[i]);
    json_decref(reply);
    *list_p = list;
    *n_p = n;
    return 0;
}

PRAAS_API int praas_library_get(praas_client_t *cl, const char *name,
                                praas_library_info_t *info)
{
    struct cl_raw r = {0};
    char path[128];
    json_t *reply;
    int rc;

    if (cl == NULL || info == NULL)
        return core_err(PRAAS_ERR_INVALID, "praas_library_get: NULL client or info");
    if ((rc = cl_lib_name_check(name)) < 0)
        return rc;
    snprintf(path, sizeof(path), "/v1/libraries/%s", name);
    rc = cl_lib_call(cl, "GET", path, &r, &reply);
    if (rc < 0)
        return rc;
    cl_lib_info_from(reply, info);
    json_decref(reply);
    return 0;
}

PRAAS_API int praas_library_delete(praas_client_t *cl, const char *name)
{
    struct cl_raw r = {0};
    char path[128];
    int rc;

    if (cl == NULL)
        return core_err(PRAAS_ERR_INVALID, "praas_library_delete: NULL client");
    if ((rc = cl_lib_name_check(name)) < 0)
        return rc;
    snprintf(path, sizeof(path), "/v1/libraries/%s", name);
    return cl_lib_call(cl, "DELETE", path, &r, NULL);
}
