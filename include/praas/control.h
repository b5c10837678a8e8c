/*
 * The praas control plane, embedded in a program.
 *
 * praas-control runs it as a daemon and praas-run embeds it on an
 * ephemeral loopback port; any other program can do the same. It serves the
 * versioned HTTP/JSON API documented in doc/control-api.md, with its
 * metadata in memory or in Redis.
 */
#ifndef PRAAS_CONTROL_H
#define PRAAS_CONTROL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct praas_control praas_control_t;

typedef struct praas_control_opts {
    const char *bind;    /* address to listen on; NULL: "127.0.0.1" */
    int port;            /* 0: an ephemeral port */
    const char *store;   /* NULL or "memory", or "redis://HOST:PORT[/DB]" */
    size_t max_body;     /* largest request body in bytes; 0: 1 MiB */
    int log_requests;    /* print one line per request to stderr */
    /* Serverless processes and sessions (doc/control-api.md). Zero or NULL
     * gives the default. */
    const char *storage;      /* where swapped sessions go: file://DIR, s3://BUCKET,
                                 redis://HOST:PORT; NULL: $PRAAS_STORAGE, else
                                 file://$TMPDIR/praas-storage */
    const char *process_bin;  /* the praas-process program; NULL: $PRAAS_PROCESS_BIN,
                                 else praas-process found in PATH */
    size_t max_payload;       /* largest invocation payload (a raw body); 0: 64 MiB */
    int idle_swap_ms;         /* swap out sessions idle this long; 0: never */
    int sessions_per_subprocess; /* live sessions a subprocess hosts at most; 0: 16 */
    int subprocess_grace_ms;  /* stop a subprocess without live sessions after this;
                                 0: 2000 */
    const char *placement;    /* "round-robin" (NULL) or "spread" */
    int ping_interval_ms;     /* ping subprocesses this often and kill hung ones;
                                 0: 2000, negative: never */
    /* Function libraries uploaded with PUT /v1/libraries/{name}. */
    size_t max_library;       /* largest upload in bytes; 0: 256 MiB */
    const char *library_dir;  /* where they are kept; NULL: $PRAAS_LIBRARY_DIR, else
                                 $TMPDIR/praas-libraries */
} praas_control_opts_t;

/* Start serving in background threads. Returns 0, PRAAS_ERR_INVALID for a
 * bad option (message names it), PRAAS_ERR_IO if the port cannot be bound,
 * PRAAS_ERR_CONTROL if the store cannot be reached. Thread-safe. */
int praas_control_start(const praas_control_opts_t *opts, praas_control_t **ctl_p);

/* The base URL clients use, "http://127.0.0.1:PORT"; valid until stop. */
const char *praas_control_url(const praas_control_t *ctl);

/* The port actually bound. */
int praas_control_port(const praas_control_t *ctl);

/* Stop serving: waiting requests are answered 503, then everything is
 * released. ctl is invalid afterwards. */
void praas_control_stop(praas_control_t *ctl);

#ifdef __cplusplus
}
#endif

#endif /* PRAAS_CONTROL_H */
