/*
 * The control-plane client: JSON over HTTP with libcurl. Used by the
 * bootstrap in praas_init(), by praas-run, and (later) by the public
 * client library; the same API serverless clients use.
 */
#ifndef PRAAS_CLIENT_HTTP_H
#define PRAAS_CLIENT_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Perform one request to base_url + path (path starts with "/v1/...").
 * body may be NULL. On a 2xx answer returns 0 and stores the decoded JSON
 * body in *resp_p (new reference; json null for an empty body). On another
 * status returns PRAAS_ERR_CONTROL (PRAAS_ERR_TIMEOUT for 504,
 * PRAAS_ERR_NOT_FOUND for 404, PRAAS_ERR_EXISTS for 409, PRAAS_ERR_PEER for
 * 410) and records the server's error message; on a transfer failure PRAAS_ERR_CONTROL naming
 * curl's reason. *status_p (may be NULL) receives the HTTP status, 0 if no
 * answer came. timeout_ms bounds the whole request. Thread-safe. */
int cl_http_request(const char *base_url, const char *method, const char *path,
                    json_t *body, int timeout_ms, long *status_p, json_t **resp_p);

/* Create a process of `size` workers; writes its id (malloc'd) to *id_p. */
int cl_process_create(const char *base_url, const char *name, int size, char **id_p);

/* Delete a process and its metadata. */
int cl_process_delete(const char *base_url, const char *id);

/* Register this worker as rank `rank` of process `id` with its transport
 * address blob (sent in base64) and metadata (may be NULL; borrowed). */
int cl_session_register(const char *base_url, const char *id, int rank, const void *addr,
                        size_t addr_len, json_t *metadata);

/* Arrive at the named fence of process `id` and wait until all its ranks
 * have; returns the table of sessions (a JSON array sorted by rank of
 * {"rank", "address", "metadata"}) in *table_p. PRAAS_ERR_TIMEOUT when the
 * fence does not complete within timeout_ms. */
int cl_fence(const char *base_url, const char *id, const char *name, int rank,
             int timeout_ms, json_t **table_p);

/* Create a process with the given id (1 to 64 of [A-Za-z0-9_.-]);
 * PRAAS_ERR_EXISTS if it exists. */
int cl_process_create_id(const char *base_url, const char *id, const char *name, int size);

/* Start a new run of an existing process with `size` workers (POST
 * /v1/processes/{id}/runs): its objects stay, the sessions and fences of
 * the previous run go. PRAAS_ERR_EXISTS while a run is in progress (sessions
 * are registered). Writes the new run number to *run_p (may be NULL). */
int cl_process_run(const char *base_url, const char *id, int size, long *run_p);

/* End the current run (DELETE /v1/processes/{id}/sessions): the sessions
 * and fences go, the process and its objects stay. */
int cl_process_end_run(const char *base_url, const char *id);

/* The object directory of doc/control-api.md. Names are already checked
 * ([A-Za-z0-9_.-]), so they go into paths unescaped. Records come back as
 * JSON objects (new references). */
int cl_obj_create(const char *base_url, const char *id, json_t *entry);
int cl_obj_get(const char *base_url, const char *id, const char *name, json_t **rec_p);
/* The records of the objects whose names start with prefix, sorted by
 * name, as a JSON array. */
int cl_obj_list(const char *base_url, const char *id, const char *prefix, json_t **list_p);
int cl_obj_delete(const char *base_url, const char *id, const char *name);
/* PUT .../objects/{name}/state with body; the answer in *rec_p (may be
 * NULL). */
int cl_obj_state(const char *base_url, const char *id, const char *name, json_t *body,
                 json_t **rec_p);

/* A request with a raw body (application/octet-stream) and a raw reply,
 * for invocations (doc/control-api.md, "Invoke"). */
struct cl_raw {
    const void *body;      /* sent as is; may be NULL when len is 0 */
    size_t len;
    int timeout_ms;        /* the whole request; <= 0: none */
    /* Called by libcurl during the transfer (may be NULL); a non-zero
     * return aborts it. */
    int (*progress)(void *arg, uint64_t down_total, uint64_t down_now, uint64_t up_total,
                    uint64_t up_now);
    void *progress_arg;
    /* Filled from the reply's X-Praas-Session, X-Praas-Endpoint,
     * X-Praas-Invocation, X-Praas-Cpu-Ns and X-Praas-Wall-Ns headers ("" or
     * 0 when absent), on success and on failure. */
    char session[72];
    char endpoint[80];
    uint64_t invocation;
    uint64_t cpu_ns, wall_ns;
};

/* Perform one raw request. On a 2xx answer returns 0 with the body
 * (malloc'd, NULL when empty) in *resp_p and its length in *len_p. On
 * another status returns the code matching it (PRAAS_ERR_NOT_FOUND for 404,
 * PRAAS_ERR_PEER for 410 and 502, PRAAS_ERR_TIMEOUT for 504,
 * PRAAS_ERR_INVALID for 400, PRAAS_ERR_RANGE for 413, the code named in the
 * message of a failed function (500), PRAAS_ERR_CONTROL otherwise) with the
 * server's message recorded. *status_p (may be NULL) gets the status, 0 if
 * no answer came. Thread-safe. */
int cl_http_raw(const char *base_url, const char *method, const char *path, struct cl_raw *r,
                long *status_p, void **resp_p, size_t *len_p);

#endif /* PRAAS_CLIENT_HTTP_H */
