/*
 * The IDX loader. zlib's gzread reads gzip'd and plain files alike, so an
 * uncompressed copy of the data set would work too, under the same name.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "mnist.h"

#define IDX_MAGIC_IMAGES 0x00000803u /* unsigned bytes, 3 dimensions */
#define IDX_MAGIC_LABELS 0x00000801u /* unsigned bytes, 1 dimension */

/* An open IDX file and what the messages need to name it. */
typedef struct idx_file {
    gzFile gz;
    char path[4096];
} idx_file_t;

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Read exactly n bytes; a short read means a truncated or corrupt file,
 * which is worth telling apart from an I/O error. */
static int idx_read(idx_file_t *f, void *buf, size_t n, const char *what, char *err,
                    size_t errlen)
{
    unsigned char *p = buf;

    while (n > 0) {
        /* gzread takes an unsigned int count: read big sets in chunks. */
        unsigned chunk = n > (1u << 30) ? 1u << 30 : (unsigned)n;
        int got = gzread(f->gz, p, chunk);
        if (got <= 0) {
            int zerr;
            const char *msg = gzerror(f->gz, &zerr);
            if (got == 0 || zerr == Z_OK || zerr == Z_BUF_ERROR)
                set_err(err, errlen, "%s: file ends early, in the %s (truncated?)", f->path,
                        what);
            else
                set_err(err, errlen, "%s: cannot read the %s: %s", f->path, what,
                        zerr == Z_ERRNO ? strerror(errno) : msg);
            return -1;
        }
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

/* Read the header's big-endian 32-bit words. */
static int idx_header(idx_file_t *f, uint32_t *words, int n, char *err, size_t errlen)
{
    unsigned char raw[16];

    if (idx_read(f, raw, 4 * (size_t)n, "header", err, errlen))
        return -1;
    for (int i = 0; i < n; i++)
        words[i] = (uint32_t)raw[4 * i] << 24 | (uint32_t)raw[4 * i + 1] << 16 |
                   (uint32_t)raw[4 * i + 2] << 8 | raw[4 * i + 3];
    return 0;
}

static int idx_open(idx_file_t *f, const char *dir, const char *name, const char *kind,
                    char *err, size_t errlen)
{
    int n = snprintf(f->path, sizeof(f->path), "%s/%s-%s-ubyte.gz", dir, name, kind);

    if (n < 0 || (size_t)n >= sizeof(f->path)) {
        set_err(err, errlen, "%s/%s-%s-ubyte.gz: path too long", dir, name, kind);
        return -1;
    }
    errno = 0;
    f->gz = gzopen(f->path, "rb");
    if (!f->gz) {
        set_err(err, errlen, "cannot open %s: %s", f->path,
                errno ? strerror(errno) : "out of memory");
        return -1;
    }
    return 0;
}

/* Open the images file and check its header; *count_p is its image count. */
static int open_images(idx_file_t *f, const char *dir, const char *name, size_t *count_p,
                       char *err, size_t errlen)
{
    uint32_t h[4];

    if (idx_open(f, dir, name, "images-idx3", err, errlen))
        return -1;
    if (idx_header(f, h, 4, err, errlen))
        return -1;
    if (h[0] != IDX_MAGIC_IMAGES) {
        set_err(err, errlen, "%s: magic number 0x%08x, expected 0x%08x (IDX3 of bytes)",
                f->path, h[0], IDX_MAGIC_IMAGES);
        return -1;
    }
    if (h[2] != MNIST_ROWS || h[3] != MNIST_COLS) {
        set_err(err, errlen, "%s: images are %ux%u, expected %dx%d", f->path, h[2], h[3],
                MNIST_ROWS, MNIST_COLS);
        return -1;
    }
    *count_p = h[1];
    return 0;
}

static int open_labels(idx_file_t *f, const char *dir, const char *name, size_t *count_p,
                       char *err, size_t errlen)
{
    uint32_t h[2];

    if (idx_open(f, dir, name, "labels-idx1", err, errlen))
        return -1;
    if (idx_header(f, h, 2, err, errlen))
        return -1;
    if (h[0] != IDX_MAGIC_LABELS) {
        set_err(err, errlen, "%s: magic number 0x%08x, expected 0x%08x (IDX1 of bytes)",
                f->path, h[0], IDX_MAGIC_LABELS);
        return -1;
    }
    *count_p = h[1];
    return 0;
}

static int check_labels(const idx_file_t *f, const uint8_t *labels, size_t n, char *err,
                        size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        if (labels[i] >= MNIST_CLASSES) {
            set_err(err, errlen, "%s: label %zu is %u, expected 0 to %d", f->path, i,
                    labels[i], MNIST_CLASSES - 1);
            return -1;
        }
    return 0;
}

int mnist_load(const char *dir, const char *name, size_t limit, mnist_set_t *set_p, char *err,
               size_t errlen)
{
    idx_file_t img = {.gz = NULL}, lab = {.gz = NULL};
    size_t nimg, nlab, n;
    mnist_set_t set = {0};
    int rc = -1;

    if (open_images(&img, dir, name, &nimg, err, errlen) ||
        open_labels(&lab, dir, name, &nlab, err, errlen))
        goto out;
    if (nimg != nlab) {
        set_err(err, errlen, "%s holds %zu images but %s holds %zu labels", img.path, nimg,
                lab.path, nlab);
        goto out;
    }
    n = limit && limit < nimg ? limit : nimg;
    set.pixels = malloc(n * MNIST_PIXELS);
    set.labels = malloc(n);
    if (!set.pixels || !set.labels) {
        set_err(err, errlen, "%s: no memory for %zu images", img.path, n);
        goto out;
    }
    if (idx_read(&img, set.pixels, n * MNIST_PIXELS, "pixels", err, errlen) ||
        idx_read(&lab, set.labels, n, "labels", err, errlen) ||
        check_labels(&lab, set.labels, n, err, errlen))
        goto out;
    set.count = n;
    *set_p = set;
    rc = 0;
out:
    if (rc)
        mnist_free(&set);
    if (lab.gz)
        gzclose(lab.gz);
    if (img.gz)
        gzclose(img.gz);
    return rc;
}

void mnist_free(mnist_set_t *set)
{
    free(set->pixels);
    free(set->labels);
    set->pixels = set->labels = NULL;
    set->count = 0;
}
