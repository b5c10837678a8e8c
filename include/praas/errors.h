/*
 * praas error codes.
 *
 * Every praas function returns int: 0 on success, a negative PRAAS_ERR_*
 * on failure. praas_strerror() gives a short description of a code and
 * praas_err_name() its symbolic name; praas_errmsg() gives the detailed
 * message of the last failure in the calling thread, which names the cause
 * ("displacement 4096 + 8 bytes is past the end of window 3 ...").
 *
 * The list below is the single source of the codes, their names and their
 * descriptions (an X-macro, as libuv does it). Codes are stable: append new
 * ones at the end.
 */
#ifndef PRAAS_ERRORS_H
#define PRAAS_ERRORS_H

#ifdef __cplusplus
extern "C" {
#endif

#define PRAAS_ERRNO_MAP(X)                                                   \
    X(INVALID,       1, "invalid argument")                                  \
    X(NOMEM,         2, "out of memory")                                     \
    X(NOT_SUPPORTED, 3, "operation not supported")                           \
    X(TIMEOUT,       4, "timed out")                                         \
    X(TRANSPORT,     5, "transport error")                                   \
    X(IO,            6, "input/output error")                                \
    X(NOT_FOUND,     7, "not found")                                         \
    X(EXISTS,        8, "already exists")                                    \
    X(PROTOCOL,      9, "protocol error")                                    \
    X(STATE,        10, "operation not allowed in the current state")        \
    X(RANGE,        11, "out of range")                                      \
    X(AGAIN,        12, "resource temporarily unavailable")                  \
    X(CONTROL,      13, "control plane error")                               \
    X(PEER,         14, "peer failed or unreachable")                        \
    X(CANCELED,     15, "canceled")                                          \
    X(INTERNAL,     16, "internal error")

enum praas_err {
    PRAAS_OK = 0,
#define PRAAS_ERR_ENUM_(name, num, text) PRAAS_ERR_##name = -(num),
    PRAAS_ERRNO_MAP(PRAAS_ERR_ENUM_)
#undef PRAAS_ERR_ENUM_
};

/* A short, constant description of an error code; "unknown error" for a
 * code that is not in the list. Thread-safe. */
const char *praas_strerror(int err);

/* The symbolic name of an error code ("PRAAS_ERR_TIMEOUT"); "PRAAS_OK" for
 * 0 and "PRAAS_ERR_UNKNOWN" for anything else. Thread-safe. */
const char *praas_err_name(int err);

/* The detailed message of the most recent failure in the calling thread,
 * naming its cause; "" if none was recorded. The string stays valid until
 * the next failing praas call in the same thread. Thread-safe. */
const char *praas_errmsg(void);

#ifdef __cplusplus
}
#endif

#endif /* PRAAS_ERRORS_H */
