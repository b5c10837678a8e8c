/*
 * Softmax regression: forward pass, loss and gradient, accuracy.
 *
 * About half the pixels of a Fashion-MNIST image are 0, and a zero pixel
 * adds nothing to a score or to a weight's gradient, so each image is first
 * turned into a list of its nonzero pixels and both passes walk that list.
 */
#include <math.h>

#include "model.h"

/* The nonzero pixels of one image: their indices and values in [0, 1]. */
typedef struct sparse_image {
    int n;
    int index[MODEL_FEATURES];
    float value[MODEL_FEATURES];
} sparse_image_t;

static void sparsify(const uint8_t *pixels, sparse_image_t *x)
{
    x->n = 0;
    for (int f = 0; f < MODEL_FEATURES; f++)
        if (pixels[f]) {
            x->index[x->n] = f;
            x->value[x->n] = pixels[f] * (1.0f / 255.0f);
            x->n++;
        }
}

/* z = W x + b. */
static void scores(const float *params, const sparse_image_t *x, float z[MODEL_CLASSES])
{
    for (int c = 0; c < MODEL_CLASSES; c++) {
        const float *w = params + (size_t)c * MODEL_FEATURES;
        float s = params[MODEL_WEIGHTS + c];
        for (int k = 0; k < x->n; k++)
            s += w[x->index[k]] * x->value[k];
        z[c] = s;
    }
}

/* Turn scores into probabilities in place and return log(sum exp z), the
 * normalizer. Subtracting the largest score first keeps exp() from
 * overflowing when a score is large. */
static float softmax(float z[MODEL_CLASSES])
{
    float max = z[0], sum = 0.0f;

    for (int c = 1; c < MODEL_CLASSES; c++)
        if (z[c] > max)
            max = z[c];
    for (int c = 0; c < MODEL_CLASSES; c++) {
        z[c] = expf(z[c] - max);
        sum += z[c];
    }
    for (int c = 0; c < MODEL_CLASSES; c++)
        z[c] /= sum;
    return max + logf(sum);
}

/* The gradient of -log p[label] with respect to z[c] is p[c] - [c == label];
 * with respect to W[c][f] it is that times x[f], and to b[c] that alone. */
static void add_gradient(const sparse_image_t *x, const float p[MODEL_CLASSES], int label,
                         float *grad)
{
    for (int c = 0; c < MODEL_CLASSES; c++) {
        float d = p[c] - (c == label ? 1.0f : 0.0f);
        float *g = grad + (size_t)c * MODEL_FEATURES;
        for (int k = 0; k < x->n; k++)
            g[x->index[k]] += d * x->value[k];
        grad[MODEL_WEIGHTS + c] += d;
    }
}

double model_gradient(const float *params, const mnist_set_t *set, const uint32_t *idx,
                      size_t n, float *grad)
{
    sparse_image_t x;
    float z[MODEL_CLASSES];
    double loss = 0.0;

    for (size_t i = 0; i < n; i++) {
        int label = set->labels[idx[i]];
        sparsify(set->pixels + (size_t)idx[i] * MNIST_PIXELS, &x);
        scores(params, &x, z);
        /* -log p[label] = log(sum exp z) - z[label], before z becomes p. */
        float zl = z[label];
        loss += softmax(z) - zl;
        add_gradient(&x, z, label, grad);
    }
    return loss;
}

size_t model_correct(const float *params, const mnist_set_t *set, size_t first, size_t n)
{
    sparse_image_t x;
    float z[MODEL_CLASSES];
    size_t correct = 0;

    for (size_t i = first; i < first + n; i++) {
        int best = 0;
        sparsify(set->pixels + i * MNIST_PIXELS, &x);
        scores(params, &x, z);
        for (int c = 1; c < MODEL_CLASSES; c++)
            if (z[c] > z[best])
                best = c;
        correct += best == set->labels[i];
    }
    return correct;
}

void model_axpy(float *params, const float *delta, float scale)
{
    for (size_t i = 0; i < MODEL_PARAMS; i++)
        params[i] += scale * delta[i];
}
