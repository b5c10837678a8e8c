/*
 * Softmax (multinomial logistic) regression on 28x28 images: ten linear
 * scores z = W x + b, class probabilities p = softmax(z), cross-entropy
 * loss -log p[label]. Pixels x are the image's bytes scaled to [0, 1].
 *
 * The parameters are one flat float vector of MODEL_PARAMS elements, the
 * weights first (row c holds class c's 784 weights) and the ten biases
 * last, so that a gradient or a model is one buffer for an allreduce, a
 * get or an accumulate.
 *
 * Why float and double: weights and gradients are floats because that
 * halves the bytes every step sends (7850 * 4 = 31,400) and SGD's own noise
 * dwarfs float rounding; losses are summed in double because an epoch adds
 * up 60,000 terms, and a float sum that large keeps only about three
 * significant digits of each new term.
 */
#ifndef SGD_MODEL_H
#define SGD_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "mnist.h"

#define MODEL_FEATURES MNIST_PIXELS
#define MODEL_CLASSES MNIST_CLASSES
#define MODEL_WEIGHTS (MODEL_CLASSES * MODEL_FEATURES)
#define MODEL_PARAMS (MODEL_WEIGHTS + MODEL_CLASSES) /* 7850 */

/* Add to grad[0..MODEL_PARAMS) the gradient of the loss, summed (not
 * averaged) over images idx[0..n) of set, at the model params; the caller
 * zeroes grad first and divides by the batch size when it applies it, so
 * that partial sums from several workers add up to the batch's sum. Returns
 * the summed loss of those images. */
double model_gradient(const float *params, const mnist_set_t *set, const uint32_t *idx,
                      size_t n, float *grad);

/* The number of images first..first+n-1 of set whose most probable class
 * under params is their label. */
size_t model_correct(const float *params, const mnist_set_t *set, size_t first, size_t n);

/* params += scale * delta, element by element. */
void model_axpy(float *params, const float *delta, float scale);

#endif /* SGD_MODEL_H */
