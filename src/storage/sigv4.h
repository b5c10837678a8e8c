/*
 * AWS Signature Version 4, as S3 uses it: pure functions from a request's
 * parts to its canonical request and its Authorization header. No I/O and
 * no clock: the timestamp is an input, so that a test can pin it and
 * compare with an independent implementation (testsuite/sigv4_ref.py runs
 * botocore).
 *
 * The steps (AWS "Create a signed AWS API request"):
 *   canonical request = METHOD \n PATH \n QUERY \n HEADERS \n SIGNED \n PAYLOAD_HASH
 *     PATH   the URI-encoded path exactly as sent (S3 does not normalise
 *            or encode it twice);
 *     QUERY  name=value pairs, both URI-encoded (RFC 3986 unreserved
 *            characters kept), sorted by name then value, joined by '&';
 *     HEADERS "name:value\n" per header, names lower-cased, values trimmed
 *            with inner runs of spaces made one, sorted by name (repeated
 *            names joined with ',');
 *     SIGNED the header names joined by ';'.
 *   string to sign = "AWS4-HMAC-SHA256" \n TIMESTAMP \n SCOPE \n hex(SHA256(canonical request))
 *     SCOPE = DATE/REGION/SERVICE/aws4_request
 *   signing key = HMAC(HMAC(HMAC(HMAC("AWS4" SECRET, DATE), REGION), SERVICE), "aws4_request")
 *   Authorization = "AWS4-HMAC-SHA256 Credential=KEY_ID/SCOPE, SignedHeaders=SIGNED,
 *                    Signature=hex(HMAC(signing key, string to sign))"
 *
 * Every function is thread-safe. Strings returned through _p arguments are
 * malloc'd and belong to the caller.
 */
#ifndef PRAAS_STORAGE_SIGV4_H
#define PRAAS_STORAGE_SIGV4_H

#include <stddef.h>
#include <time.h>

/* The hex SHA-256 of an empty payload. */
#define ST_SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A query parameter, raw (not encoded). */
typedef struct st_sigv4_param {
    const char *name;
    const char *value;
} st_sigv4_param_t;

/* A header to sign and send, as written (any case). */
typedef struct st_sigv4_header {
    const char *name;
    const char *value;
} st_sigv4_header_t;

typedef struct st_sigv4_req {
    const char *method;       /* "GET", "PUT", ... */
    const char *path;         /* URI-encoded, starting with '/' */
    const st_sigv4_param_t *params;
    size_t nparams;
    /* Every header to sign: at least host, x-amz-date and
     * x-amz-content-sha256 (and x-amz-security-token with a session
     * token); the caller sends the same ones. */
    const st_sigv4_header_t *headers;
    size_t nheaders;
    const char *payload_hash; /* hex SHA-256 of the body */
    const char *timestamp;    /* "YYYYMMDDTHHMMSSZ", UTC */
    const char *region;
    const char *service;      /* "s3" */
    const char *access_key;
    const char *secret_key;
} st_sigv4_req_t;

/* hex must hold 65 bytes; it is NUL-terminated. */
void st_sha256_hex(const void *data, size_t len, char hex[65]);

/* t formatted as "YYYYMMDDTHHMMSSZ" (UTC) into ts (17 bytes). */
void st_sigv4_timestamp(time_t t, char ts[17]);

/* s URI-encoded: RFC 3986 unreserved characters (A-Z a-z 0-9 - _ . ~) as
 * they are, '/' too when keep_slash, every other byte as %XX (upper-case
 * hex). NULL when out of memory. */
char *st_uri_encode(const char *s, int keep_slash);

/* The canonical query string of params; also the query to send (after a
 * '?'), so that the signed and the sent query are one string. "" for none. */
int st_sigv4_query(const st_sigv4_param_t *params, size_t nparams, char **query_p);

/* The Host header an endpoint URL ("http://HOST[:PORT][/...]") gets: the
 * host lower-cased, with the port unless it is the scheme's default. */
int st_sigv4_host(const char *endpoint, char **host_p);

/* The canonical request of r. */
int st_sigv4_canonical_request(const st_sigv4_req_t *r, char **cr_p);

/* The value of the Authorization header of r (and, when sts_p is not NULL,
 * the string to sign, for debugging). */
int st_sigv4_authorization(const st_sigv4_req_t *r, char **auth_p, char **sts_p);

#endif /* PRAAS_STORAGE_SIGV4_H */
