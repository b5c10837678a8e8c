/*
 * sgd: softmax regression trained with mini-batch SGD on Fashion-MNIST,
 * data-parallel over praas workers.
 *
 *   praas-run -n 4 examples/sgd/sgd [--mode sync|async] [--epochs N] ...
 *
 * The data. Every worker reads the whole training set (gzip'd IDX, from
 * Debian's dataset-fashion-mnist) and keeps it as bytes, 47 MB: each epoch
 * walks a permutation of all images drawn from --seed, the same on every
 * worker, and cuts it into global mini-batches of --batch images; worker r
 * of n takes images [B*r/n, B*(r+1)/n) of each batch. Any worker may thus
 * need any image, and the sequence of batches does not depend on how many
 * workers share it. Test accuracy is computed in parallel: worker r
 * evaluates slice r of the test set and the counts are summed.
 *
 * --mode sync: each worker computes the gradient of its part of the batch
 * as a sum, an allreduce(SUM) of those 7850 floats gives the whole batch's
 * sum, and every worker applies the same update, -lr * sum / B. Every
 * worker knows B (also for the last, shorter batch), so no count needs to
 * travel. The model is the same for any number of workers up to float
 * rounding, since only the order of the additions changes.
 *
 * --mode async: the model lives in global memory, a window of 7850 floats at
 * rank 0 (empty at the others). Every step each worker gets the model,
 * computes the gradient of its part of the batch and accumulates
 * -lr * grad / B into rank 0's copy, with no waiting for the others
 * (accumulates are element-wise atomic; a get may see some of another
 * worker's update, which SGD tolerates, as in Hogwild). A barrier ends each
 * epoch, so that every update is in before the model is evaluated.
 *
 * Rank 0 prints one line per epoch (mean training loss, measured on each
 * batch as it is trained on; test accuracy; seconds since training began;
 * bytes reduced) and a summary; the others print nothing on stdout. Bytes
 * reduced is this worker's reduction payload so far: the gradient
 * allreduces (sync) or the update accumulates (async), plus 16 bytes of
 * statistics per epoch. Uses the public API only.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <praas.h>

#include "batch.h"
#include "mnist.h"
#include "model.h"

#define DEFAULT_DATA "/usr/share/datasets/fashion-mnist"
#define USAGE_EXIT 2

typedef enum { MODE_SYNC, MODE_ASYNC } sgd_mode_t;

typedef struct options {
    int epochs;
    size_t batch;
    double lr, decay;
    uint64_t seed;
    sgd_mode_t mode;
    const char *data;
    size_t train_limit, test_limit;
    const char *csv;
    const char *dump;
    int quiet;
} options_t;

/* Everything a worker needs during training. */
typedef struct trainer {
    const options_t *opt;
    int rank, size;
    mnist_set_t train, test;
    uint32_t *perm;           /* this epoch's order of the training images */
    float *params;            /* the model (in async mode, a fetched copy) */
    float *grad, *grad_sum;   /* this worker's gradient sum; the batch's */
    praas_win_t win;          /* async mode: the model, at rank 0 */
    double lr;                /* this epoch's learning rate */
    double bytes_reduced;     /* payload of this worker's reductions so far */
    FILE *csv;
} trainer_t;

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: praas-run -n N sgd [OPTIONS]\n"
            "Train softmax regression on Fashion-MNIST with mini-batch SGD.\n\n"
            "  --mode sync|async   allreduce the gradient every step (default), or\n"
            "                      accumulate updates into a model at rank 0\n"
            "  --epochs N          passes over the training set (default 15)\n"
            "  --batch B           global mini-batch, split among workers (default 128)\n"
            "  --lr X              learning rate of epoch 1 (default 0.2)\n"
            "  --decay D           epoch e uses lr / (1 + D * (e - 1)) (default 0.2)\n"
            "  --seed S            seed of the shuffling (default 1)\n"
            "  --data DIR          data set directory (default " DEFAULT_DATA ")\n"
            "  --train-limit N     use only the first N training images\n"
            "  --test-limit N      use only the first N test images\n"
            "  --csv FILE          write epoch,loss,accuracy,seconds,bytes_reduced\n"
            "  --dump-weights FILE write the final 7850 parameters, one per line\n"
            "  --quiet             print only the summary\n"
            "  --help              print this text\n\n"
            "With the defaults (seed 1) sync mode ends at 84.07%% test accuracy after 15\n"
            "epochs, the same model on any number of workers; softmax regression tops\n"
            "out near 84.5%% on this data set.\n");
}

static void bad_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "sgd: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'sgd --help'.\n");
    exit(USAGE_EXIT);
}

/* Parse a whole decimal number in [min, max]; anything else is a usage error. */
static unsigned long long parse_count(const char *opt, const char *arg, unsigned long long min,
                                      unsigned long long max)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(arg, &end, 10);
    if (errno || end == arg || *end || arg[0] == '-' || v < min || v > max) {
        fprintf(stderr, "sgd: %s wants a whole number from %llu to %llu, not '%s'\n"
                        "Try 'sgd --help'.\n", opt, min, max, arg);
        exit(USAGE_EXIT);
    }
    return v;
}

static void parse_options(int argc, char **argv, options_t *o)
{
    enum { O_MODE = 256, O_EPOCHS, O_BATCH, O_LR, O_DECAY, O_SEED, O_DATA, O_TRAIN, O_TEST, O_CSV,
           O_DUMP, O_QUIET, O_HELP };
    static const struct option longopts[] = {
        {"mode", 1, 0, O_MODE},   {"epochs", 1, 0, O_EPOCHS},     {"batch", 1, 0, O_BATCH},
        {"lr", 1, 0, O_LR}, {"decay", 1, 0, O_DECAY},       {"seed", 1, 0, O_SEED},         {"data", 1, 0, O_DATA},
        {"train-limit", 1, 0, O_TRAIN}, {"test-limit", 1, 0, O_TEST}, {"csv", 1, 0, O_CSV},
        {"dump-weights", 1, 0, O_DUMP}, {"quiet", 0, 0, O_QUIET}, {"help", 0, 0, O_HELP},
        {0, 0, 0, 0}};
    const char *rank_env = getenv("PRAAS_RANK");
    char *end;
    int c;

    *o = (options_t){.epochs = 15, .batch = 128, .lr = 0.2, .decay = 0.2, .seed = 1, .mode = MODE_SYNC,
                     .data = DEFAULT_DATA};
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case O_MODE:
            if (strcmp(optarg, "sync") && strcmp(optarg, "async"))
                bad_usage("--mode is sync or async, not '%s'", optarg);
            o->mode = strcmp(optarg, "sync") ? MODE_ASYNC : MODE_SYNC;
            break;
        case O_EPOCHS: o->epochs = (int)parse_count("--epochs", optarg, 1, 100000); break;
        case O_BATCH: o->batch = parse_count("--batch", optarg, 1, 1u << 20); break;
        case O_LR:
            errno = 0;
            o->lr = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(o->lr > 0) || !isfinite(o->lr))
                bad_usage("--lr wants a positive number, not '%s'", optarg);
            break;
        case O_DECAY:
            errno = 0;
            o->decay = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(o->decay >= 0) || !isfinite(o->decay))
                bad_usage("--decay wants a number >= 0, not '%s'", optarg);
            break;
        case O_SEED: o->seed = parse_count("--seed", optarg, 0, UINT64_MAX); break;
        case O_DATA: o->data = optarg; break;
        case O_TRAIN: o->train_limit = parse_count("--train-limit", optarg, 1, 1u << 30); break;
        case O_TEST: o->test_limit = parse_count("--test-limit", optarg, 1, 1u << 30); break;
        case O_CSV: o->csv = optarg; break;
        case O_DUMP: o->dump = optarg; break;
        case O_QUIET: o->quiet = 1; break;
        case O_HELP:
            /* Under praas-run every worker parses the options: only rank 0
             * (PRAAS_RANK, the launcher's contract) prints the help. */
            if (!rank_env || !strcmp(rank_env, "0"))
                usage(stdout);
            exit(0);
        case ':': bad_usage("option %s needs a value", argv[optind - 1]); break;
        default: bad_usage("unknown option '%s'", argv[optind - 1]); break;
        }
    }
    if (optind < argc)
        bad_usage("unexpected argument '%s'", argv[optind]);
}

/* A praas call failed: say which and why, and stop this worker. The
 * launcher then stops the others and exits with this status. */
static void check(int rc, const char *what)
{
    if (rc) {
        fprintf(stderr, "sgd: %s: %s (%s)\n", what, praas_strerror(rc), praas_errmsg());
        exit(1);
    }
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Every worker loads both sets (and rank 0 opens the CSV file); they then
 * agree whether all succeeded, so that a worker that cannot read the data
 * does not leave the others waiting in the first step. The lowest failing
 * rank says why, and all exit 1. */
static void prepare(trainer_t *t)
{
    const options_t *o = t->opt;
    char err[4352] = "";
    int32_t mine = t->size, first_failed;

    if (mnist_load(o->data, "train", o->train_limit, &t->train, err, sizeof(err)) ||
        mnist_load(o->data, "t10k", o->test_limit, &t->test, err, sizeof(err)))
        mine = t->rank;
    else if (t->rank == 0 && o->csv && !(t->csv = fopen(o->csv, "w"))) {
        snprintf(err, sizeof(err), "cannot write %s: %s", o->csv, strerror(errno));
        mine = t->rank;
    }
    check(praas_allreduce(&mine, &first_failed, 1, PRAAS_INT32, PRAAS_OP_MIN),
          "praas_allreduce (start-up status)");
    if (first_failed < t->size) {
        if (mine == first_failed)
            fprintf(stderr, "sgd: %s\n", err);
        praas_finalize();
        exit(1);
    }
    if (t->csv)
        fprintf(t->csv, "epoch,loss,accuracy,seconds,bytes_reduced\n");
}

static void *alloc_or_die(size_t n, size_t each)
{
    void *p = calloc(n, each);

    if (!p) {
        fprintf(stderr, "sgd: out of memory (%zu x %zu bytes)\n", n, each);
        exit(1);
    }
    return p;
}

/* This worker's part of a global batch of b images (batch_part). */
static size_t my_part(const trainer_t *t, size_t b, size_t *first_p)
{
    return batch_part(b, t->rank, t->size, first_p);
}

/* One synchronous step over the batch perm[start, start + b). */
static double sync_step(trainer_t *t, size_t start, size_t b)
{
    size_t first, n = my_part(t, b, &first);
    double loss;

    memset(t->grad, 0, MODEL_PARAMS * sizeof(float));
    loss = model_gradient(t->params, &t->train, t->perm + start + first, n, t->grad);
    check(praas_allreduce(t->grad, t->grad_sum, MODEL_PARAMS, PRAAS_FLOAT, PRAAS_OP_SUM),
          "praas_allreduce (gradient)");
    t->bytes_reduced += MODEL_PARAMS * sizeof(float);
    model_axpy(t->params, t->grad_sum, (float)(-t->lr / (double)b));
    return loss;
}

/* Copy rank 0's model here. The flush also completes this worker's previous
 * accumulate, so one flush per step serves both. */
static void fetch_model(trainer_t *t)
{
    check(praas_get(t->params, MODEL_PARAMS, PRAAS_FLOAT, 0, 0, t->win), "praas_get (model)");
    check(praas_win_flush(0, t->win), "praas_win_flush");
}

/* One asynchronous step: fetch, compute, push the update; nobody waits for
 * anybody. The update is scaled by the global batch, as in sync mode, so
 * that the parts of one batch add up to one full step. */
static double async_step(trainer_t *t, size_t start, size_t b)
{
    size_t first, n = my_part(t, b, &first);
    float scale = (float)(-t->lr / (double)b);
    double loss;

    if (n == 0)
        return 0.0;
    fetch_model(t);
    memset(t->grad, 0, MODEL_PARAMS * sizeof(float));
    loss = model_gradient(t->params, &t->train, t->perm + start + first, n, t->grad);
    for (size_t i = 0; i < MODEL_PARAMS; i++)
        t->grad[i] *= scale;
    check(praas_accumulate(t->grad, MODEL_PARAMS, PRAAS_FLOAT, 0, 0, PRAAS_OP_SUM, t->win),
          "praas_accumulate (update)");
    t->bytes_reduced += MODEL_PARAMS * sizeof(float);
    return loss;
}

/* The model window: 7850 floats at rank 0, none elsewhere, zeroed by rank 0
 * before anyone may read it (the barrier orders the two), then one shared
 * lock on every rank for the whole run. */
static void async_setup(trainer_t *t)
{
    float *base;

    check(praas_win_allocate(t->rank == 0 ? MODEL_PARAMS * sizeof(float) : 0, sizeof(float),
                             &base, &t->win),
          "praas_win_allocate (model)");
    check(praas_win_lock_all(0, t->win), "praas_win_lock_all");
    if (t->rank == 0) {
        memset(base, 0, MODEL_PARAMS * sizeof(float));
        check(praas_win_sync(t->win), "praas_win_sync");
    }
    check(praas_barrier(), "praas_barrier");
}

/* One pass over the training set; returns this worker's summed loss. In
 * async mode every worker ends it with the final model of the epoch. */
static double train_epoch(trainer_t *t, int epoch)
{
    size_t n = t->train.count, batch = t->opt->batch;
    double loss = 0.0;

    /* A decaying rate lets the model settle: with a constant one the test
     * accuracy keeps jumping by a point or two from epoch to epoch. */
    t->lr = t->opt->lr / (1.0 + t->opt->decay * (epoch - 1));
    batch_shuffle(t->perm, n, t->opt->seed, epoch);
    for (size_t start = 0; start < n; start += batch) {
        size_t b = n - start < batch ? n - start : batch;
        loss += t->opt->mode == MODE_SYNC ? sync_step(t, start, b) : async_step(t, start, b);
    }
    if (t->opt->mode == MODE_ASYNC) {
        check(praas_win_flush(0, t->win), "praas_win_flush");
        check(praas_barrier(), "praas_barrier");
        fetch_model(t);
    }
    return loss;
}

/* Sum the training loss and the test hits of all workers, each worker
 * testing its slice of the test set. stats[0] becomes the mean loss and
 * stats[1] the accuracy. In async mode this allreduce also keeps a fast
 * worker from updating the model before a slow one has fetched it. */
static void evaluate(trainer_t *t, double loss, double stats[2])
{
    size_t first, n = my_part(t, t->test.count, &first);
    double in[2] = {loss, (double)model_correct(t->params, &t->test, first, n)};

    check(praas_allreduce(in, stats, 2, PRAAS_DOUBLE, PRAAS_OP_SUM), "praas_allreduce (stats)");
    t->bytes_reduced += sizeof(in);
    stats[0] /= (double)t->train.count;
    stats[1] /= (double)t->test.count;
}

/* Rank 0: the epoch's line on stdout (unless --quiet) and in the CSV file. */
static void report_epoch(const trainer_t *t, int epoch, const double stats[2], double elapsed)
{
    if (t->rank != 0)
        return;
    if (!t->opt->quiet)
        printf("epoch %3d  loss %.4f  test accuracy %6.2f%%  %8.2f s  reduced %.1f MB\n",
               epoch, stats[0], 100.0 * stats[1], elapsed, t->bytes_reduced / 1e6);
    fflush(stdout);
    if (t->csv)
        fprintf(t->csv, "%d,%.6f,%.6f,%.3f,%.0f\n", epoch, stats[0], stats[1], elapsed,
                t->bytes_reduced);
}

static void report_summary(const trainer_t *t, double accuracy, double total, double training)
{
    const options_t *o = t->opt;

    if (t->rank != 0)
        return;
    printf("sgd: %d worker%s, mode %s, %d epoch%s (batch %zu, lr %g): "
           "final test accuracy %.2f%% on %zu images\n",
           t->size, t->size == 1 ? "" : "s", o->mode == MODE_SYNC ? "sync" : "async", o->epochs,
           o->epochs == 1 ? "" : "s", o->batch, o->lr, 100.0 * accuracy, t->test.count);
    printf("sgd: total %.2f s, %.2f s per epoch (%.2f s training), %.0f images/s\n", total,
           total / o->epochs, training / o->epochs,
           training > 0 ? (double)t->train.count * o->epochs / training : 0.0);
}

/* Rank 0 writes the parameters as text, one per line, with enough digits
 * to tell floats apart, so that a test can compare two runs with awk. */
static void dump_weights(const trainer_t *t, const char *path)
{
    FILE *f;

    if (t->rank != 0)
        return;
    f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "sgd: cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
    for (size_t i = 0; i < MODEL_PARAMS; i++)
        fprintf(f, "%.9g\n", t->params[i]);
    if (fclose(f)) {
        fprintf(stderr, "sgd: cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

static void finish(trainer_t *t)
{
    if (t->csv && fclose(t->csv))
        fprintf(stderr, "sgd: cannot write %s: %s\n", t->opt->csv, strerror(errno));
    if (t->win != PRAAS_WIN_NULL) {
        check(praas_win_unlock_all(t->win), "praas_win_unlock_all");
        check(praas_win_free(&t->win), "praas_win_free");
    }
    check(praas_finalize(), "praas_finalize");
    mnist_free(&t->train);
    mnist_free(&t->test);
    free(t->perm);
    free(t->params);
    free(t->grad);
    free(t->grad_sum);
}

int main(int argc, char **argv)
{
    options_t opt;
    trainer_t t = {.opt = &opt, .win = PRAAS_WIN_NULL};
    double stats[2] = {0, 0}, start, training = 0.0;

    parse_options(argc, argv, &opt);
    check(praas_init(), "praas_init");
    check(praas_rank(&t.rank), "praas_rank");
    check(praas_size(&t.size), "praas_size");
    prepare(&t);
    t.perm = alloc_or_die(t.train.count, sizeof(*t.perm));
    t.params = alloc_or_die(MODEL_PARAMS, sizeof(float)); /* zeros: a fine start here */
    t.grad = alloc_or_die(MODEL_PARAMS, sizeof(float));
    t.grad_sum = alloc_or_die(MODEL_PARAMS, sizeof(float));
    if (opt.mode == MODE_ASYNC)
        async_setup(&t);

    start = now();
    for (int epoch = 1; epoch <= opt.epochs; epoch++) {
        double t0 = now(), loss = train_epoch(&t, epoch);
        training += now() - t0;
        evaluate(&t, loss, stats);
        report_epoch(&t, epoch, stats, now() - start);
    }
    report_summary(&t, stats[1], now() - start, training);
    if (opt.dump)
        dump_weights(&t, opt.dump);
    finish(&t);
    return 0;
}
