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
