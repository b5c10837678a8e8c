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
