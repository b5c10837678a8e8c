/*
 * Replies, the error object, and typed fields of request bodies.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/reply.h"
#include "core/error.h"

/* The "code" of each error status, from the table of doc/control-api.md. */
static const char *cp_status_code(int status)
{
    switch (status) {
    case 400:
        return "bad_request";
    case 404:
        return "not_found";
    case 405:
        return "method_not_allowed";
    case 409:
        return "conflict";
    case 410:
        return "gone";
    case 413:
        return "too_large";
    case 500:
        return "function_failed";
    case 502:
        return "bad_gateway";
    case 503:
        return "unavailable";
    case 504:
        return "timeout";
    }
    return "internal";
}

static void cp_reply_drop_raw(struct cp_reply *rep)
{
    free(rep->raw);
    rep->raw = NULL;
    rep->raw_len = 0;
    rep->raw_set = 0;
}

int cp_reply_raw(struct cp_reply *rep, int status, void *data, size_t len)
{
    json_decref(rep->body);
    rep->body = NULL;
    cp_reply_drop_raw(rep);
    rep->status = status;
    rep->raw_set = 1;
    rep->raw = data;
    rep->raw_len = len;
    return 0;
}

void cp_reply_header(struct cp_reply *rep, const char *name, const char *value)
{
    if (rep->headers == NULL)
        rep->headers = json_object();
    if (rep->headers)
        json_object_set_new(rep->headers, name, json_string(value));
}

int cp_reply_json(struct cp_reply *rep, int status, json_t *body)
{
    cp_reply_drop_raw(rep);
    json_decref(rep->body);
    rep->status = status;
    rep->body = body;
    return 0;
}

int cp_reply_error(struct cp_reply *rep, int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    json_t *err, *text;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* A message quoting the client's bytes (a path, an id) may not be
     * UTF-8, which JSON strings must be: replace what is not ASCII. */
    text = json_string(msg);
    if (text == NULL) {
        for (char *p = msg; *p; p++)
            if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
                *p = '?';
        text = json_string(msg);
    }
    err = json_pack("{s:{s:i, s:s, s:o}}", "error", "status", status, "code",
                    cp_status_code(status), "message", text);
    /* Without memory for the object, the status alone still tells. */
    cp_reply_json(rep, status, err);
    return -1;
}

int cp_reply_store(struct cp_reply *rep, int rc, const char *doing)
{
    return cp_reply_error(rep, 503, "store failed while %s: %s (%s)", doing, praas_errmsg(),
                          praas_err_name(rc));
}

void cp_reply_clear(struct cp_reply *rep)
{
    json_decref(rep->body);
    rep->body = NULL;
    cp_reply_drop_raw(rep);
    json_decref(rep->headers);
    rep->headers = NULL;
}

int cp_body_object(const struct cp_request *req, struct cp_reply *rep, json_t **obj_p)
{
    json_error_t jerr;
    json_t *obj;

    /* JSON_DECODE_ANY so that a valid non-object is reported as such rather
     * than as a syntax error; duplicate keys are refused as ambiguous. */
    obj = json_loadb(req->body ? req->body : "", req->body_len,
                     JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (obj == NULL)
        return cp_reply_error(rep, 400, "malformed JSON at line %d, column %d: %s", jerr.line,
                              jerr.column, jerr.text);
    if (!json_is_object(obj)) {
        const char *what = json_is_array(obj) ? "an array" : json_is_string(obj) ? "a string"
                           : json_is_number(obj) ? "a number" : json_is_null(obj) ? "null"
                           : "a boolean";
        json_decref(obj);
        return cp_reply_error(rep, 400, "the request body is %s, not a JSON object", what);
    }
    *obj_p = obj;
    return 0;
}

static const char *cp_json_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "unknown";
}

int cp_field_int(struct cp_reply *rep, json_t *obj, const char *name, int required,
                 json_int_t lo, json_int_t hi, json_int_t def, json_int_t *val_p)
{
    json_t *v = json_object_get(obj, name);
    json_int_t x;

    if (v == NULL) {
        if (required)
            return cp_reply_error(rep, 400, "field '%s' is missing", name);
        *val_p = def;
        return 0;
    }
    if (!json_is_integer(v))
        return cp_reply_error(rep, 400, "field '%s' must be an integer, not %s", name,
                              cp_json_type(v));
    x = json_integer_value(v);
    if (x < lo || x > hi)
        return cp_reply_error(rep, 400, "field '%s' is %" JSON_INTEGER_FORMAT
                              ", out of range [%" JSON_INTEGER_FORMAT ", %" JSON_INTEGER_FORMAT
                              "]", name, x, lo, hi);
    *val_p = x;
    return 0;
}

int cp_field_str(struct cp_reply *rep, json_t *obj, const char *name, int required,
                 const char **val_p, size_t *len_p)
{
    json_t *v = json_object_get(obj, name);

    if (v == NULL) {
        if (required)
            return cp_reply_error(rep, 400, "field '%s' is missing", name);
        *val_p = NULL;
        if (len_p)
            *len_p = 0;
        return 0;
    }
    if (!json_is_string(v))
        return cp_reply_error(rep, 400, "field '%s' must be a string, not %s", name,
                              cp_json_type(v));
    *val_p = json_string_value(v);
    if (len_p)
        *len_p = json_string_length(v);
    return 0;
}

int cp_field_obj(struct cp_reply *rep, json_t *obj, const char *name, int required,
                 json_t **val_p)
{
    json_t *v = json_object_get(obj, name);

    if (v == NULL) {
        if (required)
            return cp_reply_error(rep, 400, "field '%s' is missing", name);
        *val_p = NULL;
        return 0;
    }
    if (!json_is_object(v))
        return cp_reply_error(rep, 400, "field '%s' must be an object, not %s", name,
                              cp_json_type(v));
    *val_p = v;
    return 0;
}

int cp_ident_ok(const char *s, size_t len)
{
    if (len < 1 || len > 64)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}
