/*
 * Requests and replies of the control plane's routes, independent of the
 * HTTP library: a route reads a cp_request and fills a cp_reply, and the
 * server turns the reply into an HTTP response. Also the helpers that read
 * typed fields from a JSON body and answer 400 naming the field.
 */
#ifndef PRAAS_CONTROL_REPLY_H
#define PRAAS_CONTROL_REPLY_H

#include <jansson.h>
#include <stddef.h>

struct cp_request {
    const char *method;
    const char *path; /* decoded, without the query string */
    const char *body; /* the request body, not NUL-terminated; may be NULL */
    size_t body_len;
    /* Non-zero when the client has hung up, so that a long wait can stop
     * early; may be NULL. */
    int (*client_gone)(void *arg);
    void *client_arg;
    /* The value of query-string argument name (decoded), or NULL when it
     * is absent; query may be NULL (no query string at all). Called with
     * client_arg. */
    const char *(*query)(void *arg, const char *name);
};

/* The value of query argument name of req, or NULL. */
static inline const char *cp_query_arg(const struct cp_request *req, const char *name)
{
    return req->query ? req->query(req->client_arg, name) : NULL;
}

struct cp_reply {
    int status;        /* HTTP status; 0 drops the connection unanswered */
    json_t *body;      /* owned by the reply */
    const char *allow; /* the Allow header of a 405; a constant string */
    /* A raw reply (application/octet-stream) instead of JSON: raw_set with
     * raw (malloc'd, owned; NULL when raw_len is 0). An error replaces it. */
    int raw_set;
    void *raw;
    size_t raw_len;
    /* Extra response headers, name -> string (owned; may be NULL). */
    json_t *headers;
};

/* Answer status with raw bytes (taken over: freed with the reply). */
int cp_reply_raw(struct cp_reply *rep, int status, void *data, size_t len);

/* Add a response header (kept on errors too). */
void cp_reply_header(struct cp_reply *rep, const char *name, const char *value);

/* Answer status with body (a new reference the reply takes, NULL for an
 * empty body). Returns 0. */
int cp_reply_json(struct cp_reply *rep, int status, json_t *body);

/* Answer status with the error object of doc/control-api.md,
 * {"error": {"status", "code", "message"}}, the message formatted from fmt.
 * Returns -1, so a route can `return cp_reply_error(...)`. */
int cp_reply_error(struct cp_reply *rep, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Answer a failed store operation: 503 naming the store's message (the
 * store is unreachable or answered an error). Returns -1. */
int cp_reply_store(struct cp_reply *rep, int rc, const char *doing);

/* Release what the reply holds. */
void cp_reply_clear(struct cp_reply *rep);

/* Parse the request body as a JSON object into *obj_p (a new reference).
 * Returns 0, or -1 after answering 400 naming jansson's error and position,
 * or that the body is not an object. */
int cp_body_object(const struct cp_request *req, struct cp_reply *rep, json_t **obj_p);

/* Read the integer field name of obj into *val_p. Absent: 400 if required,
 * else *val_p = def. Present: 400 unless it is an integer in [lo, hi].
 * Returns 0 or -1 (answered). */
int cp_field_int(struct cp_reply *rep, json_t *obj, const char *name, int required,
                 json_int_t lo, json_int_t hi, json_int_t def, json_int_t *val_p);

/* Read the string field name (borrowed from obj) or NULL when absent and not
 * required. Returns 0 or -1 (answered 400). */
int cp_field_str(struct cp_reply *rep, json_t *obj, const char *name, int required,
                 const char **val_p, size_t *len_p);

/* Read the object field name (borrowed) or NULL when absent and not
 * required. Returns 0 or -1 (answered 400). */
int cp_field_obj(struct cp_reply *rep, json_t *obj, const char *name, int required,
                 json_t **val_p);

/* Non-zero if s is a valid identifier of doc/control-api.md: 1 to 64
 * characters of [A-Za-z0-9_.-] (process ids and fence names). */
int cp_ident_ok(const char *s, size_t len);

#endif /* PRAAS_CONTROL_REPLY_H */
