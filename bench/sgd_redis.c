/*
 * sgd_redis: the training of examples/sgd in sync mode with the gradients
 * exchanged through a Redis server instead of praas, the way serverless
 * training does it today (LambdaML, FMI's Redis channel): every step each
 * worker stores its gradient in Redis, one reducer sums them and stores the
 * sum, and all read it back (bench/redis_chan.h). The baseline that
 * bench/run-sgd.sh sets beside `sgd --mode sync` (allreduce on praas) and
 * `sgd --mode async` (accumulates into global memory):
 *
 *   praas-run -n 4 bench/sgd_redis --redis redis://127.0.0.1:PORT --epochs 5
 *
 * praas-run only starts the workers (PRAAS_RANK, PRAAS_SIZE); nothing of
 * praas is linked. The data, the model, the shuffle and the split of each
 * global batch are examples/sgd's own code (mnist.c, model.c, batch.c),
 * and the learning-rate schedule and update are sgd.c's, so the model is
 * the one `sgd --mode sync` trains, up to the order of float additions.
 * The epoch lines, the CSV (--csv) and the summary have sgd's format.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/redis_chan.h"
#include "examples/sgd/batch.h"
#include "examples/sgd/mnist.h"
#include "examples/sgd/model.h"

#define DEFAULT_DATA "/usr/share/datasets/fashion-mnist"

typedef struct options {
    int epochs, quiet, wait_s;
    size_t batch, train_limit, test_limit;
    double lr, decay;
    uint64_t seed;
    const char *data, *csv, *redis, *prefix;
} options_t;

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: praas-run -n N sgd_redis [OPTIONS]\n"
            "Softmax regression on Fashion-MNIST, sync SGD with the gradients summed\n"
            "through a Redis server (examples/sgd's training, bench/redis_chan.h's allreduce).\n\n"
            "  --redis URL         redis://HOST:PORT (default $PRAAS_TEST_REDIS, else\n"
            "                      redis://127.0.0.1:6379)\n"
            "  --prefix P          key prefix (default praas-sgd:$PRAAS_PROCESS)\n"
            "  --wait-s S          longest wait for a peer (default 120)\n"
            "  --epochs N, --batch B, --lr X, --decay D, --seed S, --data DIR,\n"
            "  --train-limit N, --test-limit N, --csv FILE, --quiet\n"
            "                      as examples/sgd/sgd (defaults 15, 128, 0.2, 0.2, 1,\n"
            "                      " DEFAULT_DATA ")\n"
            "  --help              print this text\n");
}

static void bad_usage(const char *what, const char *arg)
{
    fprintf(stderr, "sgd_redis: %s '%s'\nTry 'sgd_redis --help'.\n", what, arg);
    exit(2);
}

static unsigned long long count_arg(const char *opt, const char *arg, unsigned long long min,
                                    unsigned long long max)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(arg, &end, 10);
    if (errno || end == arg || *end || arg[0] == '-' || v < min || v > max) {
        fprintf(stderr, "sgd_redis: %s wants a whole number from %llu to %llu, not '%s'\n", opt,
                min, max, arg);
        exit(2);
    }
    return v;
}

static double real_arg(const char *opt, const char *arg, int positive)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(arg, &end);
    if (errno || end == arg || *end || !isfinite(v) || (positive ? !(v > 0) : !(v >= 0)))
        bad_usage(positive ? "a positive number is wanted for" : "a number >= 0 is wanted for",
                  opt);
    return v;
}

static void parse_options(int argc, char **argv, options_t *o)
{
    enum { O_EPOCHS = 256, O_BATCH, O_LR, O_DECAY, O_SEED, O_DATA, O_TRAIN, O_TEST, O_CSV,
           O_QUIET, O_REDIS, O_PREFIX, O_WAIT, O_HELP };
    static const struct option longopts[] = {
        {"epochs", 1, 0, O_EPOCHS}, {"batch", 1, 0, O_BATCH},   {"lr", 1, 0, O_LR},
        {"decay", 1, 0, O_DECAY},   {"seed", 1, 0, O_SEED},     {"data", 1, 0, O_DATA},
        {"train-limit", 1, 0, O_TRAIN}, {"test-limit", 1, 0, O_TEST}, {"csv", 1, 0, O_CSV},
        {"quiet", 0, 0, O_QUIET},   {"redis", 1, 0, O_REDIS},   {"prefix", 1, 0, O_PREFIX},
        {"wait-s", 1, 0, O_WAIT},   {"help", 0, 0, O_HELP},     {0, 0, 0, 0}};
    const char *rank = getenv("PRAAS_RANK");
    int c;

    *o = (options_t){.epochs = 15, .batch = 128, .lr = 0.2, .decay = 0.2, .seed = 1,
                     .wait_s = 120, .data = DEFAULT_DATA};
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case O_EPOCHS: o->epochs = (int)count_arg("--epochs", optarg, 1, 100000); break;
        case O_BATCH: o->batch = count_arg("--batch", optarg, 1, 1u << 20); break;
        case O_LR: o->lr = real_arg("--lr", optarg, 1); break;
        case O_DECAY: o->decay = real_arg("--decay", optarg, 0); break;
        case O_SEED: o->seed = count_arg("--seed", optarg, 0, UINT64_MAX); break;
        case O_DATA: o->data = optarg; break;
        case O_TRAIN: o->train_limit = count_arg("--train-limit", optarg, 1, 1u << 30); break;
        case O_TEST: o->test_limit = count_arg("--test-limit", optarg, 1, 1u << 30); break;
        case O_CSV: o->csv = optarg; break;
        case O_QUIET: o->quiet = 1; break;
        case O_REDIS: o->redis = optarg; break;
        case O_PREFIX: o->prefix = optarg; break;
        case O_WAIT: o->wait_s = (int)count_arg("--wait-s", optarg, 1, 86400); break;
        case O_HELP:
            if (!rank || !strcmp(rank, "0"))
                usage(stdout);
            exit(0);
        case ':': bad_usage("a value is missing after", argv[optind - 1]); break;
        default: bad_usage("unknown option", argv[optind - 1]); break;
        }
    }
    if (optind < argc)
        bad_usage("unexpected argument", argv[optind]);
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void add_floats(void *acc, const void *in, size_t bytes)
{
    float *out = acc;
    const float *v = in;

    for (size_t i = 0; i < bytes / sizeof(float); i++)
        out[i] += v[i];
}

static void add_doubles(void *acc, const void *in, size_t bytes)
{
    double *out = acc;
    const double *v = in;

    for (size_t i = 0; i < bytes / sizeof(double); i++)
        out[i] += v[i];
}

/* A Redis exchange failed: say which and why, and stop this worker (the
 * launcher then stops the others). */
static void check(rc_t *r, int rc, const char *what)
{
    if (rc) {
        fprintf(stderr, "sgd_redis: rank %d: %s: %s\n", r->rank, what, r->err);
        exit(1);
    }
}

static void *alloc_or_die(size_t n, size_t each)
{
    void *p = calloc(n, each);

    if (!p) {
        fprintf(stderr, "sgd_redis: out of memory (%zu x %zu bytes)\n", n, each);
        exit(1);
    }
    return p;
}

int main(int argc, char **argv)
{
    options_t o;
    rc_t r;
    mnist_set_t train, test;
    char err[4352];
    FILE *csv = NULL;
    uint32_t *perm;
    float *params, *grad, *sum;
    double stats[2] = {0, 0}, start, training = 0.0, reduced = 0.0;
    int rc;

    parse_options(argc, argv, &o);
    if ((rc = rc_open(&r, o.redis, o.prefix, "praas-sgd", o.wait_s))) {
        fprintf(stderr, "sgd_redis: %s\n", r.err);
        return rc;
    }
    if (mnist_load(o.data, "train", o.train_limit, &train, err, sizeof(err)) ||
        mnist_load(o.data, "t10k", o.test_limit, &test, err, sizeof(err))) {
        fprintf(stderr, "sgd_redis: %s\n", err);
        return 1;
    }
    if (r.rank == 0 && o.csv) {
        if (!(csv = fopen(o.csv, "w"))) {
            fprintf(stderr, "sgd_redis: cannot write %s: %s\n", o.csv, strerror(errno));
            return 1;
        }
        fprintf(csv, "epoch,loss,accuracy,seconds,bytes_reduced\n");
    }
    perm = alloc_or_die(train.count, sizeof(*perm));
    params = alloc_or_die(MODEL_PARAMS, sizeof(float));
    grad = alloc_or_die(MODEL_PARAMS, sizeof(float));
    sum = alloc_or_die(MODEL_PARAMS, sizeof(float));
    /* Everyone has the data before the clock starts. */
    check(&r, rc_barrier(&r), "barrier (start)");

    start = now();
    for (int epoch = 1; epoch <= o.epochs; epoch++) {
        double t0 = now(), lr = o.lr / (1.0 + o.decay * (epoch - 1)), loss = 0.0, in[2];
        size_t first, n;

        /* One epoch of sync steps, as sgd.c's sync_step(). */
        batch_shuffle(perm, train.count, o.seed, epoch);
        for (size_t s = 0; s < train.count; s += o.batch) {
            size_t b = train.count - s < o.batch ? train.count - s : o.batch;

            n = batch_part(b, r.rank, r.size, &first);
            memset(grad, 0, MODEL_PARAMS * sizeof(float));
            loss += model_gradient(params, &train, perm + s + first, n, grad);
            check(&r, rc_allreduce(&r, grad, sum, MODEL_PARAMS * sizeof(float), add_floats),
                  "allreduce (gradient)");
            reduced += MODEL_PARAMS * sizeof(float);
            model_axpy(params, sum, (float)(-lr / (double)b));
        }
        training += now() - t0;

        /* Evaluation, as sgd.c's evaluate(): each worker its test slice. */
        n = batch_part(test.count, r.rank, r.size, &first);
        in[0] = loss;
        in[1] = (double)model_correct(params, &test, first, n);
        check(&r, rc_allreduce(&r, in, stats, sizeof(in), add_doubles), "allreduce (stats)");
        reduced += sizeof(in);
        stats[0] /= (double)train.count;
        stats[1] /= (double)test.count;
        if (r.rank == 0 && !o.quiet)
            printf("epoch %3d  loss %.4f  test accuracy %6.2f%%  %8.2f s  reduced %.1f MB\n",
                   epoch, stats[0], 100.0 * stats[1], now() - start, reduced / 1e6);
        fflush(stdout);
        if (csv)
            fprintf(csv, "%d,%.6f,%.6f,%.3f,%.0f\n", epoch, stats[0], stats[1], now() - start,
                    reduced);
    }
    if (r.rank == 0) {
        double total = now() - start;
        printf("sgd_redis: %d worker%s, %d epoch%s (batch %zu, lr %g): "
               "final test accuracy %.2f%% on %zu images\n",
               r.size, r.size == 1 ? "" : "s", o.epochs, o.epochs == 1 ? "" : "s", o.batch, o.lr,
               100.0 * stats[1], test.count);
        printf("sgd_redis: total %.2f s, %.2f s per epoch (%.2f s training), %.0f images/s, "
               "Redis at %s\n",
               total, total / o.epochs, training / o.epochs,
               training > 0 ? (double)train.count * o.epochs / training : 0.0, r.url);
    }
    if (csv && fclose(csv)) {
        fprintf(stderr, "sgd_redis: cannot write %s: %s\n", o.csv, strerror(errno));
        rc = 1;
    }
    if (rc_close(&r, 1)) {
        fprintf(stderr, "sgd_redis: rank %d: closing: %s\n", r.rank, r.err);
        rc = 1;
    }
    mnist_free(&train);
    mnist_free(&test);
    free(perm);
    free(params);
    free(grad);
    free(sum);
    return rc;
}
