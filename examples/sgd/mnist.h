/*
 * Reading the (Fashion-)MNIST data set from gzip'd IDX files.
 *
 * The IDX format is a big-endian header (a magic number naming the element
 * type and the number of dimensions, then one 32-bit size per dimension)
 * followed by the elements. Images are IDX3 (count x rows x cols bytes),
 * labels IDX1 (count bytes).
 */
#ifndef SGD_MNIST_H
#define SGD_MNIST_H

#include <stddef.h>
#include <stdint.h>

#define MNIST_ROWS 28
#define MNIST_COLS 28
#define MNIST_PIXELS (MNIST_ROWS * MNIST_COLS)
#define MNIST_CLASSES 10

/* One set of images with their labels. Pixels stay bytes (0..255), image i
 * at pixels + i * MNIST_PIXELS: a quarter of the memory of floats, and the
 * model scales them to [0, 1] as it reads them. */
typedef struct mnist_set {
    size_t count;
    uint8_t *pixels;
    uint8_t *labels;
} mnist_set_t;

/* Load DIR/NAME-images-idx3-ubyte.gz and DIR/NAME-labels-idx1-ubyte.gz
 * (NAME is "train" or "t10k"), keeping the first `limit` images (all of
 * them if limit is 0 or larger than the file). Checks the magic numbers,
 * the 28x28 image size, that both files hold the same count, that the data
 * is all there and that every label is below 10. Returns 0 and fills *set_p,
 * or -1 with a message naming the file in err[0..errlen). */
int mnist_load(const char *dir, const char *name, size_t limit, mnist_set_t *set_p, char *err,
               size_t errlen);

/* Release what mnist_load allocated; the set becomes empty. */
void mnist_free(mnist_set_t *set);

#endif /* SGD_MNIST_H */
