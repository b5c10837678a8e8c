/*
 * praas functions: the API a function sees while it runs in a session.
 *
 * A function is an exported C symbol of the shared object a process was
 * deployed with, of this one type:
 *
 *     int my_function(praas_invocation_t *inv);
 *
 * praas-process looks it up with dlsym() by the name an invocation gives
 * (a C identifier not starting with "praas_") and calls it in one of the
 * session's function threads (at most N run at once per session; further
 * invocations wait in first-in first-out order). The function returns 0 or
 * a negative PRAAS_ERR_* (any non-zero value is passed through as the
 * invocation's status); praas_inv_fail() records the message the caller
 * receives with it.
 *
 * Memory. The payload (each argument, for a multi-source invocation) has
 * been received straight from the socket into memory the session owns, and
 * stays valid until the function returns. The result is sent straight from
 * session memory: either a buffer the function fills (praas_inv_result_buf,
 * no copy), a copy (praas_inv_result_copy), or a range the function points
 * at (praas_inv_result_set) that lies in the session's memory or in this
 * invocation's buffers. The session's memory (praas_inv_memory) is fixed at
 * allocation, zero-filled at first, shared by every function of the
 * session (functions running at once synchronize their own accesses), and
 * survives swapping out and in byte for byte.
 *
 * The rest of the praas API (objects, windows, collectives) may be called
 * from a function: praas-process calls praas_init() before it serves (see
 * doc/invoke.md for the view a subprocess joins).
 *
 * Checkpoints. A library may export two symbols with these names and
 * types; praas-process then calls them when a session is swapped out and
 * back in, instead of saving the whole memory:
 *
 *     int praas_checkpoint_save(praas_checkpoint_t *ck);
 *     int praas_checkpoint_restore(praas_checkpoint_t *ck);
 *
 * save writes what it wants kept with praas_checkpoint_write() and returns
 * 0, or returns PRAAS_CHECKPOINT_WHOLE to have the whole memory saved as if
 * it did not exist (for this swap only), or a negative PRAAS_ERR_* to fail
 * the swap (the session stays live). restore runs on a fresh, zero-filled
 * memory, reads the saved bytes with praas_checkpoint_data() and returns 0
 * or an error (the swap-in fails). A session saved whole is restored whole,
 * without calling restore.
 *
 * Thread safety: every call below may be made from any function thread;
 * an invocation handle is valid only during its function's call, and a
 * checkpoint handle only during the save or restore call.
 */
#ifndef PRAAS_SESSION_H
#define PRAAS_SESSION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct praas_invocation praas_invocation_t;
typedef struct praas_checkpoint praas_checkpoint_t;

/* The type of every function. */
typedef int praas_function_t(praas_invocation_t *inv);

/* The types of the checkpoint symbols. */
typedef int praas_checkpoint_fn_t(praas_checkpoint_t *ck);

/* Marks a function (or a checkpoint symbol) as exported, for libraries
 * built with -fvisibility=hidden:
 *     PRAAS_EXPORT int my_function(praas_invocation_t *inv) { ... } */
#define PRAAS_EXPORT __attribute__((visibility("default")))

/* What praas_checkpoint_save returns to have the whole memory saved. */
#define PRAAS_CHECKPOINT_WHOLE 1

/* The payload: *data_p and *len_p (NULL and 0 for an empty payload). For a
 * multi-source invocation, argument 0's. Always 0. */
int praas_inv_payload(praas_invocation_t *inv, const void **data_p, size_t *len_p);

/* The number of arguments: 1, or N for a multi-source invocation. */
int praas_inv_nargs(praas_invocation_t *inv);

/* Argument i (0 <= i < nargs), as praas_inv_payload. PRAAS_ERR_RANGE
 * naming i otherwise. */
int praas_inv_arg(praas_invocation_t *inv, int i, const void **data_p, size_t *len_p);

/* A result buffer of len bytes in session memory for the function to fill;
 * it replaces any result set before. Valid until the function returns.
 * PRAAS_ERR_RANGE if len is over the process's payload limit,
 * PRAAS_ERR_NOMEM. */
int praas_inv_result_buf(praas_invocation_t *inv, size_t len, void **buf_p);

/* Copy len bytes of data into a result buffer (praas_inv_result_buf + a
 * copy). */
int praas_inv_result_copy(praas_invocation_t *inv, const void *data, size_t len);

/* Send [data, data+len) as the result without copying: it must lie in the
 * session's memory or in this invocation's payload or result buffers
 * (PRAAS_ERR_RANGE otherwise). Bytes in the session's memory are sent
 * after the function returns, so another function may still change them
 * while they go out. */
int praas_inv_result_set(praas_invocation_t *inv, const void *data, size_t len);

/* Fail the invocation: record the message the caller receives and return
 * code, so a function ends with
 *     return praas_inv_fail(inv, PRAAS_ERR_INVALID, "need 8 bytes, got %zu", len);
 */
int praas_inv_fail(praas_invocation_t *inv, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The session's memory: its base and its size (fixed at allocation). */
int praas_inv_memory(praas_invocation_t *inv, void **base_p, size_t *size_p);

/* The session id, and the invocation id the caller chose. */
const char *praas_inv_session_id(praas_invocation_t *inv);
uint64_t praas_inv_id(praas_invocation_t *inv);

/* The function's name as invoked. */
const char *praas_inv_function(praas_invocation_t *inv);

/* In praas_checkpoint_save and praas_checkpoint_restore: the session's id
 * and memory. */
const char *praas_checkpoint_session_id(praas_checkpoint_t *ck);
int praas_checkpoint_memory(praas_checkpoint_t *ck, void **base_p, size_t *size_p);

/* In save: append len bytes to the checkpoint. PRAAS_ERR_NOMEM,
 * PRAAS_ERR_STATE outside save. */
int praas_checkpoint_write(praas_checkpoint_t *ck, const void *data, size_t len);

/* In restore: the bytes save wrote (valid during the call).
 * PRAAS_ERR_STATE outside restore. */
int praas_checkpoint_data(praas_checkpoint_t *ck, const void **data_p, size_t *len_p);

#ifdef __cplusplus
}
#endif

#endif /* PRAAS_SESSION_H */
