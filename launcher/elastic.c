/*
 * praas-run's side of view changes (doc/control-api.md, "Views"): with
 * --keep-going it reports a worker that died, with --elastic it asks a
 * worker to leave (SIGUSR2) or announces one more that joins (SIGUSR1). Both are one request to the embedded control plane; the
 * workers do the rest (src/gmem/view.c).
 */
#include <stdio.h>

#include "client/http.h"
#include "core/error.h"
#include "launcher/launcher.h"

void lr_view_report_failed(const char *url, const char *id, int rank)
{
    char path[128];
    json_t *body = json_pack("{s:[i]}", "failed", rank), *resp = NULL;
    long status = 0;
    int rc;

    if (!url || !id || !body) {
        json_decref(body);
        return;
    }
    snprintf(path, sizeof(path), "/v1/processes/%s/views", id);
    rc = cl_http_request(url, "POST", path, body, 5000, &status, &resp);
    json_decref(body);
    json_decref(resp);
    /* 409: the rank had left the view already. */
    if (rc && status != 409)
        fprintf(stderr, "praas-run: cannot remove rank %d from the view: %s\n", rank,
                praas_errmsg());
}

int lr_view_announce_join(const char *url, const char *id, int rank)
{
    char path[128];
    json_t *view = NULL, *body, *resp = NULL;
    long status = 0;
    int rc;

    if (!url || !id)
        return -1;
    snprintf(path, sizeof(path), "/v1/processes/%s/view", id);
    rc = cl_http_request(url, "GET", path, NULL, 5000, NULL, &view);
    if (rc) {
        fprintf(stderr, "praas-run: cannot read the view: %s\n", praas_errmsg());
        return -1;
    }
    if (json_object_get(view, "pending")) {
        fprintf(stderr, "praas-run: a view change is under way; send SIGUSR1 again after it\n");
        json_decref(view);
        return -1;
    }
    fprintf(stderr, "praas-run: adding rank %d to view %" JSON_INTEGER_FORMAT "\n", rank,
            json_integer_value(json_object_get(view, "number")));
    json_decref(view);
    body = json_pack("{s:[i]}", "join", rank);
    snprintf(path, sizeof(path), "/v1/processes/%s/views", id);
    rc = cl_http_request(url, "POST", path, body, 5000, &status, &resp);
    json_decref(body);
    json_decref(resp);
    if (rc) {
        fprintf(stderr, "praas-run: cannot announce the join of rank %d: %s\n", rank,
                praas_errmsg());
        return -1;
    }
    return 0;
}

void lr_view_ask_leave(const char *url, const char *id)
{
    char path[128];
    json_t *view = NULL, *members, *body, *resp = NULL, *v;
    json_int_t top = -1;
    size_t i;
    int rc;

    if (!url || !id)
        return;
    snprintf(path, sizeof(path), "/v1/processes/%s/view", id);
    rc = cl_http_request(url, "GET", path, NULL, 5000, NULL, &view);
    if (rc) {
        fprintf(stderr, "praas-run: cannot read the view: %s\n", praas_errmsg());
        return;
    }
    if (json_object_get(view, "pending")) {
        fprintf(stderr, "praas-run: a view change is under way; send SIGUSR2 again after it\n");
        json_decref(view);
        return;
    }
    members = json_object_get(view, "members");
    json_array_foreach(members, i, v)
        if (json_integer_value(v) > top)
            top = json_integer_value(v);
    if (json_array_size(members) < 2) {
        fprintf(stderr, "praas-run: the view has %zu worker%s: none can leave\n",
                json_array_size(members), json_array_size(members) == 1 ? "" : "s");
        json_decref(view);
        return;
    }
    fprintf(stderr, "praas-run: asking rank %" JSON_INTEGER_FORMAT " to leave view %"
            JSON_INTEGER_FORMAT "\n", top, json_integer_value(json_object_get(view, "number")));
    json_decref(view);
    body = json_pack("{s:[I]}", "leave", top);
    snprintf(path, sizeof(path), "/v1/processes/%s/views", id);
    rc = cl_http_request(url, "POST", path, body, 5000, NULL, &resp);
    json_decref(body);
    json_decref(resp);
    if (rc)
        fprintf(stderr, "praas-run: cannot announce the leave: %s\n", praas_errmsg());
}
