/*
 * What the benchmarks in bench/ share: the command line (sizes, iteration
 * limits), the statistics of a set of samples, the adaptive iteration count
 * and the CSV row. No praas header here: floor_bench links nothing of the
 * library.
 *
 * CSV schema (one header line, then one row per configuration, operation
 * and size; '#' lines are comments that gnuplot and the summary skip):
 *
 *   config,op,size,iters,lat_us_median,lat_us_p10,lat_us_p90,bw_MBps
 *
 * Empty fields mean "not measured". bench/README.md says what each
 * configuration and operation measures.
 */
#ifndef PRAAS_BENCH_H
#define PRAAS_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define BENCH_CSV_HEADER "config,op,size,iters,lat_us_median,lat_us_p10,lat_us_p90,bw_MBps"

/* The options both programs take. */
typedef struct bench_opts {
    size_t min_size;   /* --min: smallest message, bytes */
    size_t max_size;   /* --max: largest message, bytes */
    unsigned factor;   /* --factor: next size = size * factor */
    long max_iters;    /* --iters: most timed iterations per measurement */
    long min_iters;    /* --min-iters: fewest, whatever the time budget */
    long warmup;       /* --warmup: untimed iterations before each measurement */
    double budget_ms;  /* --budget-ms: time aimed at per measurement */
    int window;        /* --window: operations in flight per bandwidth sample */
    int header;        /* print the CSV header (--no-header clears it) */
    const char *label; /* --label: the config column, where the program takes one */
} bench_opts_t;

/* Summary of a set of per-operation times, in microseconds. */
typedef struct bench_stats {
    long n;
    double median, p10, p90, min;
} bench_stats_t;

/* Monotonic time in nanoseconds. */
static inline uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Keep the compiler from eliding or reordering stores to memory around a
 * timed region (a memcpy whose result nobody reads, say). */
static inline void bench_clobber(void *p)
{
    __asm__ __volatile__("" : : "r"(p) : "memory");
}

/* Parse argv over the defaults into *opts_p. `extra` names the options
 * only this program takes (may be NULL); it is called for an option the
 * common parser does not know, with its value (NULL if none follows), and
 * returns the number of arguments it consumed (1 or 2) or -1 for an
 * unknown option. Returns 0, or -1 after printing the reason and the usage
 * to stderr; exits 0 after --help. */
typedef int (*bench_extra_opt_t)(const char *name, const char *val);
int bench_parse(int argc, char **argv, const char *usage, bench_extra_opt_t extra,
                bench_opts_t *opts_p);

/* Parse a size with an optional K, M or G suffix (powers of 1024).
 * Returns 0 or -1. */
int bench_parse_size(const char *s, size_t *size_p);

/* The next message size after size, or 0 past max_size. */
size_t bench_next_size(const bench_opts_t *opts, size_t size);

/* How many timed iterations to run when one takes about per_iter_ns:
 * enough to fill the time budget, within [min_iters, max_iters]. */
long bench_iters_for(const bench_opts_t *opts, double per_iter_ns);

/* Messages in flight per bandwidth sample at this size: the --window
 * option, fewer for large messages so that one sample moves at most
 * BENCH_WINDOW_BYTES, never fewer than 2. Every bandwidth figure (rma_bench,
 * tp_bench, floor_bench, mpi_rma_bench) uses this one cap, so that praas,
 * the raw transports and memcpy are compared on samples of the same size.
 * 4 MiB keeps a sample short (a slow transport still finishes, a sample is
 * seldom preempted on a busy machine) and close to the last-level cache,
 * as a 1 MiB latency sample is. */
#define BENCH_WINDOW_BYTES ((size_t)4 << 20)
int bench_window(const bench_opts_t *opts, size_t size);

/* Sort samples_us[0..n) in place and summarize them (nearest-rank
 * percentiles). n must be at least 1. */
void bench_stats(double *samples_us, long n, bench_stats_t *st_p);

/* Print one CSV row. Pass st NULL for a row without latency and bw_MBps
 * < 0 for one without bandwidth. A config containing a comma has it
 * replaced by '+' so that the row stays parseable. */
void bench_row(const char *config, const char *op, size_t size, long iters,
               const bench_stats_t *st, double bw_MBps);

/* Bytes per microsecond is MB/s (10^6 bytes per second). */
static inline double bench_mbps(double bytes, double us)
{
    return us > 0 ? bytes / us : 0;
}

#endif /* PRAAS_BENCH_H */
