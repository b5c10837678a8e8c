/*
 * The client's handlers of a timed-out invocation and of a gone session
 * (praas_client_set_handlers, praas/client.h): the loop of attempts around
 * cl_invoke_once.
 *
 * After a failed attempt the handler that fits is asked, in the calling
 * thread and with no lock of the client held (so it may call the client):
 * on_timeout after PRAAS_ERR_TIMEOUT (not for a multi-source invocation,
 * whose id the other callers share), on_gone when the attempt found the
 * session gone for good. RETRY makes another attempt: after a timeout as a
 * new invocation (a new id: the first one may still be queued or running in
 * the session, and an id is used once per session); after a gone session
 * with the same id in the session the handler named, without deps (they
 * name invocations of the old session, which the new one never sees and
 * would wait for until the timeout). Attempts are bounded
 * (PRAAS_HANDLER_MAX_ATTEMPTS), so that a handler that always says RETRY
 * cannot loop forever.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <praas/client.h>

#include "client/client_int.h"
#include "core/error.h"

int cl_invoke(praas_client_t *cl, const char *sid, const char *fn, const void *payload,
              size_t len, const praas_invoke_opts_t *o, uint64_t id, const praas_handlers_t *h,
              praas_result_t *res)
{
    praas_invoke_opts_t cur = *o;
    char sess[PRAAS_ID_MAX], where[PRAAS_ID_MAX + 32], why[512];
    const char *what;
    int rc, gone, act, timeout;

    if (h == NULL || (h->on_timeout == NULL && h->on_gone == NULL))
        return cl_invoke_once(cl, sid, fn, payload, len, o, id, NULL, res);
    for (int attempt = 1;; attempt++) {
        gone = 0;
        rc = cl_invoke_once(cl, sid, fn, payload, len, &cur, id, h->on_gone ? &gone : NULL,
                            res);
        if (rc == 0)
            return 0;
        timeout = rc == PRAAS_ERR_TIMEOUT && h->on_timeout && cur.nargs <= 1;
        if (!timeout && !(gone && h->on_gone))
            return rc;
        snprintf(why, sizeof(why), "%s", praas_errmsg());
        if (sid)
            snprintf(where, sizeof(where), "session %s", sid);
        else
            snprintf(where, sizeof(where), "a new session of process %s", cur.process);
        what = timeout ? "timed out" : "found its session gone";
        if (attempt >= PRAAS_HANDLER_MAX_ATTEMPTS)
            return core_err(rc, "invocation %" PRIu64 " of %s in %s %s at attempt %d, the "
                            "last one a call makes (PRAAS_HANDLER_MAX_ATTEMPTS): %s", id, fn,
                            where, what, attempt, why);
        if (timeout) {
            act = h->on_timeout(h->arg, sid ? sid : "", fn, id, attempt);
        } else {
            char ns[PRAAS_ID_MAX] = "";

            act = h->on_gone(h->arg, sid, fn, id, ns);
            ns[PRAAS_ID_MAX - 1] = '\0';
            if (act == PRAAS_HANDLER_RETRY) {
                if (cl_id_check("new session", ns) < 0)
                    return core_err(PRAAS_ERR_INVALID, "on_gone of invocation %" PRIu64
                                    " of %s (session %s is gone) gave a bad new session: %s",
                                    id, fn, sid, praas_errmsg());
                snprintf(sess, sizeof(sess), "%s", ns);
                sid = sess;
                cur.deps = NULL;
                cur.ndeps = 0;
            }
        }
        if (act != PRAAS_HANDLER_RETRY)
            return core_err(rc, "invocation %" PRIu64 " of %s in %s %s at attempt %d and its "
                            "%s handler said FAIL: %s", id, fn, where, what, attempt,
                            timeout ? "on_timeout" : "on_gone", why);
        if (timeout)
            id = cl_new_id(cl);
    }
}
