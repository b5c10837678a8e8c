/*
 * praas-run's parts shared between its files: placement with hwloc
 * (bind.c) and tagged output (output.c). The command line is in options.h.
 */
#ifndef PRAAS_LAUNCHER_LAUNCHER_H
#define PRAAS_LAUNCHER_LAUNCHER_H

#include <stddef.h>

#include "launcher/options.h"

/* A placement plan: the machine's cores or NUMA nodes (those with CPUs the
 * launcher may use), rank r going to number (r mod count). */
typedef struct lr_bind lr_bind_t;

/* Load the topology for `kind` (nothing is loaded for LR_BIND_NONE).
 * Returns 0, or -1 with a message in err. */
int lr_bind_open(enum lr_bind_kind kind, lr_bind_t **bind_p, char *err, size_t errlen);

/* The number of places (cores or NUMA nodes); 0 for LR_BIND_NONE. */
int lr_bind_count(const lr_bind_t *bind);

/* Describe where `rank` goes: "core 1 (cpus 1)", "NUMA node 0 (cpus 0-7)"
 * or "not bound". */
void lr_bind_describe(const lr_bind_t *bind, int rank, char *buf, size_t len);

/* Bind the calling process (all its threads) to rank's place. Called in
 * the child between fork and exec, so it touches only the already loaded
 * topology. Returns 0 or an errno value. */
int lr_bind_apply(const lr_bind_t *bind, int rank);

void lr_bind_close(lr_bind_t *bind);

/* A tagged line longer than this is split into several. */
#define LR_LINE_MAX 16384

/* One worker's stdout or stderr under --tag-output. */
typedef struct lr_stream {
    int fd;   /* read end of the worker's pipe; -1 once closed */
    int dest; /* STDOUT_FILENO or STDERR_FILENO */
    int rank;
    char *buf; /* LR_LINE_MAX bytes, allocated at the first read */
    size_t len;
} lr_stream_t;

/* Take fd (may be -1: nothing to forward) and make it non-blocking. */
void lr_stream_open(lr_stream_t *s, int fd, int dest, int rank);

/* Read what the pipe holds, without blocking, and forward the complete
 * lines, each as "[RANK] line". Closes the stream at end of file. */
void lr_stream_read(lr_stream_t *s);

/* Forward a partial last line (with a newline added) and close. Safe to
 * call on a closed stream. */
void lr_stream_close(lr_stream_t *s);

/* Write all of buf to our fd (stdout or stderr), waiting if it is full;
 * after an error such as EPIPE, output to that fd is dropped. */
void lr_write_all(int fd, const char *buf, size_t len);

/* elastic.c: view changes through the control plane at url, process id.
 * --keep-going: rank died, remove it from the view. --elastic: ask the
 * highest-ranked member of the view to leave. Both print what fails. */
void lr_view_report_failed(const char *url, const char *id, int rank);
void lr_view_ask_leave(const char *url, const char *id);

/* --elastic, SIGUSR1: announce that rank (the next unused one) joins the
 * view; praas-run then starts it with PRAAS_JOIN=1. Returns 0, or -1 after
 * printing why not (a change under way, the control plane refused). */
int lr_view_announce_join(const char *url, const char *id, int rank);

#endif /* PRAAS_LAUNCHER_LAUNCHER_H */
