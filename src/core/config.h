/*
 * Tunables: every environment variable praas reads, one line each in the
 * table below (name, type, default, help). The table generates the struct,
 * the parser and `praas-run --help-env`.
 */
#ifndef PRAAS_CORE_CONFIG_H
#define PRAAS_CORE_CONFIG_H

#include <stdio.h>

/* X(field, VARIABLE, type, default, min, max, help); type is STR or INT,
 * min/max bound INT values. */
#define CORE_CONFIG_TABLE(X)                                                              \
    X(transport, PRAAS_TRANSPORT, STR, "ucx", 0, 0,                                       \
      "transport backend: ucx or ofi (provider from FI_PROVIDER, UCX_TLS)")               \
    X(progress, PRAAS_PROGRESS, STR, "thread", 0, 0,                                      \
      "progress engine: thread (asynchronous, the default) or manual")                    \
    X(log, PRAAS_LOG, STR, "none", 0, 0, "logging level: none, error, warn, info, debug") \
    X(progress_spin_us, PRAAS_PROGRESS_SPIN_US, INT, 200, 0, 1000000,                      \
      "microseconds the progress thread polls before it sleeps on the wait fd")          \
    X(progress_nap_us, PRAAS_PROGRESS_NAP_US, INT, 100, 1, 1000000,                       \
      "longest nap of an idle progress thread on a transport without a wait fd (libfabric " \
      "shm): the most a target's sleep adds to an operation that needs its progress")       \
    X(bootstrap_timeout_ms, PRAAS_BOOTSTRAP_TIMEOUT, INT, 60000, 1, 3600000,              \
      "milliseconds praas_init and praas_finalize wait for the other workers")           \
    X(op_timeout_ms, PRAAS_OP_TIMEOUT, INT, 60000, 1, 3600000,                            \
      "milliseconds a blocking operation (flush, wait) waits before PRAAS_ERR_TIMEOUT")  \
    X(rma_shm, PRAAS_RMA_SHM, INT, 1, 0, 1,                                               \
      "1: windows allocated by praas on one node use shared memory directly; 0: always "  \
      "the transport")                                                                      \
    X(coll_allreduce, PRAAS_COLL_ALLREDUCE, STR, "auto", 0, 0,                            \
      "allreduce algorithm: auto, gather (one round, all vectors to all) or ring (auto "  \
      "reads peers' memory directly on one node)")                                         \
    X(coll_small, PRAAS_COLL_SMALL, INT, 65536, 0, 1073741824,                            \
      "bytes (vector x workers) up to which allreduce and allgather use one round")       \
    X(coll_chunk, PRAAS_COLL_CHUNK, INT, 262144, 4096, 67108864,                          \
      "bytes per chunk in the collectives' pipelined channels")                           \
    X(coll_wait, PRAAS_COLL_WAIT, STR, "auto", 0, 0,                                      \
      "how collectives on one node wait: spin (spin, yield, nap), block (sleep after a "  \
      "microsecond or two) or auto (block when workers outnumber CPUs, else sleep after " \
      "the spin and yield phase)")                                                          \
    X(storage, PRAAS_STORAGE, STR, "", 0, 0,                                              \
      "storage URL for persisted objects: file://DIR, s3://BUCKET[/PREFIX] or "           \
      "redis://HOST:PORT[/DB] (default file://$TMPDIR/praas-storage)")                    \
    X(obj_persist_on_exit, PRAAS_OBJ_PERSIST_ON_EXIT, INT, -1, -1, 1,                     \
      "1: praas_finalize persists the objects this worker owns; 0: it does not; -1 "      \
      "(default): 1 when PRAAS_STORAGE is set")                                           \
    X(control, PRAAS_CONTROL, STR, "", 0, 0,                                              \
      "URL of the control plane (set by praas-run)")                                      \
    X(process, PRAAS_PROCESS, STR, "", 0, 0, "process id (set by praas-run)")             \
    X(rank, PRAAS_RANK, INT, 0, 0, 1048575, "this worker's rank (set by praas-run)")      \
    X(size, PRAAS_SIZE, INT, 1, 1, 1048576, "number of workers (set by praas-run)")       \
    X(max_workers, PRAAS_MAX_WORKERS, INT, 256, 1, 1048576,                               \
      "most ranks a process may ever have, workers that join included (at least "         \
      "PRAAS_SIZE); the transport sizes its per-peer state for it")                       \
    X(local_rank, PRAAS_LOCAL_RANK, INT, 0, 0, 1048575,                                   \
      "rank among the workers of this node (set by praas-run)")                           \
    X(local_size, PRAAS_LOCAL_SIZE, INT, 1, 1, 1048576,                                   \
      "number of workers on this node (set by praas-run)")

#define CORE_CFG_TYPE_STR const char *
#define CORE_CFG_TYPE_INT long

typedef struct core_cfg {
#define CORE_CFG_FIELD_(field, var, type, def, lo, hi, help) CORE_CFG_TYPE_##type field;
    CORE_CONFIG_TABLE(CORE_CFG_FIELD_)
#undef CORE_CFG_FIELD_
} core_cfg_t;

/* Fill cfg from the environment, defaults where unset. Returns 0, or
 * PRAAS_ERR_INVALID naming the variable and the value it could not use.
 * Strings point into the environment or the table; do not free them. */
int core_cfg_load(core_cfg_t *cfg);

/* Print the table: variable, default and help, one per line. */
void core_cfg_help(FILE *out);

/* A byte count as the commands take it: decimal digits with an optional
 * K, M or G (binary) suffix ("64M"), from min to max. Returns 0, or
 * PRAAS_ERR_INVALID naming the text and the bounds. */
int core_parse_bytes(const char *text, size_t min, size_t max, size_t *val_p);

#endif /* PRAAS_CORE_CONFIG_H */
