/*
 * Recording errors that name their cause.
 */
#ifndef PRAAS_CORE_ERROR_H
#define PRAAS_CORE_ERROR_H

#include <praas/errors.h>

/* Record a detailed message for the calling thread (praas_errmsg()), log it
 * at debug level, and return code, so a failure reads
 *     return core_err(PRAAS_ERR_RANGE, "displacement %zu ...", disp);
 * Thread-safe. */
int core_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Forget the calling thread's message. */
void core_err_clear(void);

#endif /* PRAAS_CORE_ERROR_H */
