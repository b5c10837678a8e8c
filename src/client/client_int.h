/*
 * What the files of the public client library share beside praas/client.h.
 */
#ifndef PRAAS_CLIENT_CLIENT_INT_H
#define PRAAS_CLIENT_CLIENT_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include <praas/client.h>

#define CL_TIMEOUT_MS 30000
/* Extra time the HTTP request gets over the invocation's own timeout: the
 * control plane may have to start a subprocess or swap the session in. */
#define CL_CP_SLACK_MS 30000

/* The control plane's base URL of an open client (no trailing '/'). */
const char *cl_client_url(const praas_client_t *cl);

/* 0 unless id is 1 to 64 characters of [A-Za-z0-9_.-]; else
 * PRAAS_ERR_INVALID naming what ("session id", "library name") and id. */
int cl_id_check(const char *what, const char *id);

/* The path of a session route, "/v1/sessions/SID" + suffix, or of a
 * process route, "/v1/processes/ID" + suffix, in path (160 bytes), once the
 * id is checked. */
int cl_session_path(const char *session, const char *suffix, char path[160]);
int cl_process_path(const char *process, const char *suffix, char path[160]);

/* A new invocation id of the client: below 2^62, never 0. */
uint64_t cl_new_id(praas_client_t *cl);

/* One attempt of an invocation (client.c): in session sid (NULL: a new
 * session of o->process), directly when the client has a connection to it,
 * else through the control plane, finding a moved session again. *gone_p
 * (gone_p may be NULL) is set to 1 when it failed because the control plane
 * has no session sid or reports it lost. res is written only on success. */
int cl_invoke_once(praas_client_t *cl, const char *sid, const char *fn, const void *payload,
                   size_t len, const praas_invoke_opts_t *o, uint64_t id, int *gone_p,
                   praas_result_t *res);

/* An invocation with the handlers h (handlers.c): attempts by
 * cl_invoke_once, after a timeout or a gone session as the handlers say,
 * at most PRAAS_HANDLER_MAX_ATTEMPTS. res is written only on success. */
int cl_invoke(praas_client_t *cl, const char *sid, const char *fn, const void *payload,
              size_t len, const praas_invoke_opts_t *o, uint64_t id, const praas_handlers_t *h,
              praas_result_t *res);

/* A non-negative integer field of a JSON answer; 0 when absent. */
static inline uint64_t ju(json_t *o, const char *k)
{
    json_int_t v = json_integer_value(json_object_get(o, k));
    return v > 0 ? (uint64_t)v : 0;
}

/* Read all of file path ("-" is stdin) into *data_p (malloc'd, NULL when
 * empty) and *len_p. PRAAS_ERR_IO naming the file, or PRAAS_ERR_NOMEM. */
int cl_read_file(const char *path, char **data_p, size_t *len_p);

#endif /* PRAAS_CLIENT_CLIENT_INT_H */
