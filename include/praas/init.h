/*
 * praas start-up, shutdown and the current view.
 *
 * Under praas-run (or any launcher that sets the variables of DESIGN.md
 * decision 9) praas_init() joins the process named by PRAAS_PROCESS through
 * the control plane at PRAAS_CONTROL, exchanges transport addresses with the
 * other workers and returns when every worker of the view is reachable.
 * Without those variables it runs as a single worker of a view of size 1.
 */
#ifndef PRAAS_INIT_H
#define PRAAS_INIT_H

#ifdef __cplusplus
extern "C" {
#endif

/* Initialize the library for this worker. Returns 0, PRAAS_ERR_STATE if
 * already initialized, PRAAS_ERR_CONTROL or PRAAS_ERR_TIMEOUT if the control
 * plane cannot be reached or the other workers do not arrive in time
 * (PRAAS_BOOTSTRAP_TIMEOUT), PRAAS_ERR_TRANSPORT if no transport starts.
 * Not thread-safe: call once, from one thread. */
int praas_init(void);

/* Wait until every worker of the view has called praas_finalize() (so no
 * peer still talks to this one), then release everything praas_init()
 * created. Returns 0 or an error; after it, praas_init() may be called
 * again. Not thread-safe. */
int praas_finalize(void);

/* Whether praas_init() has completed and praas_finalize() has not. */
int praas_initialized(void);

/* The rank of this worker in the current view, and the number of workers
 * in it. PRAAS_ERR_STATE before praas_init(). Thread-safe. */
int praas_rank(int *rank_p);
int praas_size(int *size_p);

/* The name of the transport in use ("ucx" or "ofi") and, for ofi, the
 * provider ("ofi (tcp;ofi_rxm)"). Valid until praas_finalize(). */
const char *praas_transport_name(void);

/* The library's version, as "MAJOR.MINOR.PATCH", and its parts. */
const char *praas_version_string(void);
void praas_version(int *major_p, int *minor_p, int *patch_p);

#ifdef __cplusplus
}
#endif

#endif /* PRAAS_INIT_H */
