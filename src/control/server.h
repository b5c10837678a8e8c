/*
 * The control plane's server object, shared by the HTTP glue (server.c) and
 * the routes (routes.c, fence.c). Not installed: embedders see the opaque
 * praas_control_t of praas/control.h.
 */
#ifndef PRAAS_CONTROL_SERVER_H
#define PRAAS_CONTROL_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <praas/control.h>

#include "control/reply.h"
#include "control/store.h"

struct MHD_Daemon;
struct cp_sl;

struct praas_control {
    struct MHD_Daemon *mhd;
    int listen_fd;
    struct cp_store *store;
    size_t max_body;
    size_t max_payload;  /* the body limit of raw (invocation) routes */
    size_t max_library;  /* the body limit of a library upload (libraries.h) */
    char library_dir[1024]; /* where uploaded libraries are (libraries.h) */
    struct cp_sl *sl;    /* serverless sessions (serverless.h) */
    int log_requests;
    int port;
    char url[128];

    /* lock guards generation, active and the two conditions. A fence
     * waits on wake for a change: a fence completed, a process was deleted,
     * or the server is stopping (generation counts the changes, so that a
     * wake-up between a check and a wait is not lost). stop waits on idle
     * until the requests in flight have been answered. */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_cond_t idle;
    uint64_t generation;
    unsigned active;
    atomic_int stopping;
};

/* Answer one request: the routing table of doc/control-api.md. Fills rep
 * (status and body) in every case. Thread-safe; may block for a fence. */
void cp_route(struct praas_control *ctl, const struct cp_request *req, struct cp_reply *rep);

/* POST /v1/processes/{id}/fence (fence.c). */
int cp_route_fence(struct praas_control *ctl, const struct cp_request *req, const char *id,
                   struct cp_reply *rep);

/* /v1/processes/{id}/objects[/NAME[/state]] (objects.c); rest is what
 * follows "/objects". */
int cp_route_objects(struct praas_control *ctl, const struct cp_request *req, const char *id,
                     const char *rest, struct cp_reply *rep);

/* Tell waiting fences that something they wait for may have changed. */
void cp_server_notify(struct praas_control *ctl);

/* The current change count, to pass to cp_server_wait. */
uint64_t cp_server_generation(struct praas_control *ctl);

/* Sleep until the change count differs from seen, until_ns (a
 * core_now_ns() time) passes, or the server stops. Returns 0, or
 * PRAAS_ERR_CANCELED when the server is stopping. */
int cp_server_wait(struct praas_control *ctl, uint64_t seen, uint64_t until_ns);

#endif /* PRAAS_CONTROL_SERVER_H */
