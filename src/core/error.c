/*
 * Error codes, their names and descriptions (from the X-macro in
 * praas/errors.h), and the per-thread detailed message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "core/error.h"
#include "core/log.h"

static _Thread_local char err_msg[512];

PRAAS_API const char *praas_strerror(int err)
{
    switch (err) {
    case PRAAS_OK:
        return "success";
#define PRAAS_ERR_TEXT_(name, num, text) \
    case PRAAS_ERR_##name:               \
        return text;
        PRAAS_ERRNO_MAP(PRAAS_ERR_TEXT_)
#undef PRAAS_ERR_TEXT_
    }
    return "unknown error";
}

PRAAS_API const char *praas_err_name(int err)
{
    switch (err) {
    case PRAAS_OK:
        return "PRAAS_OK";
#define PRAAS_ERR_NAME_(name, num, text) \
    case PRAAS_ERR_##name:               \
        return "PRAAS_ERR_" #name;
        PRAAS_ERRNO_MAP(PRAAS_ERR_NAME_)
#undef PRAAS_ERR_NAME_
    }
    return "PRAAS_ERR_UNKNOWN";
}

PRAAS_API const char *praas_errmsg(void)
{
    return err_msg;
}

int core_err(int code, const char *fmt, ...)
{
    va_list ap;

    /* Through a buffer of its own: a caller may pass praas_errmsg() (this
     * thread's message) as an argument, to wrap it. */
    char msg[sizeof(err_msg)];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    memcpy(err_msg, msg, sizeof(msg));
    core_log(CORE_LOG_DEBUG, "%s: %s", praas_err_name(code), err_msg);
    return code;
}

void core_err_clear(void)
{
    err_msg[0] = '\0';
}
