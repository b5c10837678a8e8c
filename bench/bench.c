/*
 * The benchmarks' shared command line, statistics and CSV output
 * (bench.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

static const char bench_common_usage[] =
    "Common options:\n"
    "  --min SIZE        smallest message (default 8; suffixes K, M, G)\n"
    "  --max SIZE        largest message (default 4M)\n"
    "  --factor F        next size = size * F (default 2; 4 for a quick run)\n"
    "  --iters N         most timed iterations per measurement (default 2000)\n"
    "  --min-iters N     fewest timed iterations per measurement (default 10)\n"
    "  --warmup N        untimed iterations before each measurement (default 20)\n"
    "  --budget-ms MS    time aimed at per measurement (default 200)\n"
    "  --window W        operations in flight per bandwidth sample (default 32)\n"
    "  --no-header       do not print the CSV header line\n"
    "  -h, --help        print this text\n";

int bench_parse_size(const char *s, size_t *size_p)
{
    unsigned long long v;
    char *end;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    switch (*end) {
    case 'k': case 'K': v <<= 10; end++; break;
    case 'm': case 'M': v <<= 20; end++; break;
    case 'g': case 'G': v <<= 30; end++; break;
    default: break;
    }
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end || v == 0)
        return -1;
    *size_p = (size_t)v;
    return 0;
}

static int bench_parse_long(const char *s, long lo, long *v_p)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo)
        return -1;
    *v_p = v;
    return 0;
}

static int bench_fail(const char *usage, const char *fmt, const char *what)
{
    fprintf(stderr, fmt, what);
    fprintf(stderr, "\n%s%s", usage, bench_common_usage);
    return -1;
}

int bench_parse(int argc, char **argv, const char *usage, bench_extra_opt_t extra,
                bench_opts_t *opts_p)
{
    bench_opts_t opts, *o = &opts;

    *o = (bench_opts_t){
        .min_size = 8,
        .max_size = 4u << 20,
        .factor = 2,
        .max_iters = 2000,
        .min_iters = 10,
        .warmup = 20,
        .budget_ms = 200,
        .window = 32,
        .header = 1,
        .label = NULL,
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        long v;

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf("%s%s", usage, bench_common_usage);
            exit(0);
        }
        if (strcmp(a, "--no-header") == 0) {
            o->header = 0;
            continue;
        }
        if (strcmp(a, "--min") == 0 || strcmp(a, "--max") == 0) {
            size_t s;
            if (!val || bench_parse_size(val, &s))
                return bench_fail(usage, "%s needs a size such as 8, 64K or 4M", a);
            *(a[3] == 'i' ? &o->min_size : &o->max_size) = s;
        } else if (strcmp(a, "--factor") == 0) {
            if (!val || bench_parse_long(val, 2, &v) || v > 1024)
                return bench_fail(usage, "%s needs a factor from 2 to 1024", a);
            o->factor = (unsigned)v;
        } else if (strcmp(a, "--iters") == 0 || strcmp(a, "--min-iters") == 0) {
            if (!val || bench_parse_long(val, 1, &v))
                return bench_fail(usage, "%s needs a count of at least 1", a);
            *(a[2] == 'i' ? &o->max_iters : &o->min_iters) = v;
        } else if (strcmp(a, "--warmup") == 0) {
            if (!val || bench_parse_long(val, 0, &v))
                return bench_fail(usage, "%s needs a count of at least 0", a);
            o->warmup = v;
        } else if (strcmp(a, "--budget-ms") == 0) {
            if (!val || bench_parse_long(val, 1, &v))
                return bench_fail(usage, "%s needs milliseconds, at least 1", a);
            o->budget_ms = (double)v;
        } else if (strcmp(a, "--window") == 0) {
            if (!val || bench_parse_long(val, 1, &v) || v > 4096)
                return bench_fail(usage, "%s needs a count from 1 to 4096", a);
            o->window = (int)v;
        } else if (strcmp(a, "--label") == 0) {
            if (!val || !*val)
                return bench_fail(usage, "%s needs a name", a);
            o->label = val;
        } else {
            int used = extra ? extra(a, val) : -1;
            if (used < 0)
                return bench_fail(usage, "unknown option or missing value: %s", a);
            i += used - 1;
            continue;
        }
        i++; /* the value */
    }
    if (o->min_size > o->max_size)
        return bench_fail(usage, "%s: --min is larger than --max", argv[0]);
    if (o->min_iters > o->max_iters)
        o->min_iters = o->max_iters;
    *opts_p = opts;
    return 0;
}

size_t bench_next_size(const bench_opts_t *o, size_t size)
{
    size_t next = size * o->factor;
    return next > o->max_size || next < size ? 0 : next;
}

long bench_iters_for(const bench_opts_t *o, double per_iter_ns)
{
    double n = per_iter_ns > 0 ? o->budget_ms * 1e6 / per_iter_ns : (double)o->max_iters;

    if (n > (double)o->max_iters)
        return o->max_iters;
    if (n < (double)o->min_iters)
        return o->min_iters;
    return (long)n;
}

int bench_window(const bench_opts_t *o, size_t size)
{
    size_t cap = BENCH_WINDOW_BYTES / size;

    if (cap < 2)
        cap = 2;
    return (size_t)o->window < cap ? o->window : (int)cap;
}

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least q of them at or below. */
static double bench_quantile(const double *sorted, long n, double q)
{
    long k = (long)(q * (double)n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return sorted[k - 1];
}

void bench_stats(double *samples_us, long n, bench_stats_t *st_p)
{
    qsort(samples_us, (size_t)n, sizeof(*samples_us), bench_cmp_double);
    st_p->n = n;
    st_p->min = samples_us[0];
    st_p->p10 = bench_quantile(samples_us, n, 0.10);
    st_p->p90 = bench_quantile(samples_us, n, 0.90);
    /* The median of an even count is the mean of the two middle ones. */
    st_p->median = n % 2 ? samples_us[n / 2]
                         : (samples_us[n / 2 - 1] + samples_us[n / 2]) / 2;
}

void bench_row(const char *config, const char *op, size_t size, long iters,
               const bench_stats_t *st, double bw_MBps)
{
    for (const char *c = config; *c; c++)
        putchar(*c == ',' ? '+' : *c);
    printf(",%s,%zu,%ld,", op, size, iters);
    if (st)
        printf("%.3f,%.3f,%.3f,", st->median, st->p10, st->p90);
    else
        printf(",,,");
    /* Three decimals below 10 MB/s, where 8-byte windows land. */
    if (bw_MBps >= 0)
        printf(bw_MBps < 10 ? "%.3f" : "%.1f", bw_MBps);
    putchar('\n');
    fflush(stdout);
}
