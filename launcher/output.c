/*
 * --tag-output: the workers' stdout and stderr come through pipes and are
 * forwarded line by line, each line prefixed "[RANK] " (mpirun writes
 * "[1,RANK]<stdout>:"; ours is shorter and documented in praas-run(1)).
 *
 * Only the launcher's one thread writes to its stdout and stderr, and it
 * writes whole lines, so lines of different workers never mix.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher/launcher.h"

/* Our stdout or stderr failed (EPIPE: the reader went away); what would go
 * there is dropped, the workers keep running. */
static int out_broken[3];

void lr_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0 && !out_broken[fd]) {
        ssize_t n = write(fd, buf, len);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        } else if (n < 0 && errno == EAGAIN) {
            /* Our stdout may be a non-blocking pipe inherited from the
             * caller: wait for room rather than drop output. */
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            poll(&p, 1, -1);
        } else if (n < 0 && errno != EINTR) {
            out_broken[fd] = 1;
        }
    }
}

void lr_stream_open(lr_stream_t *s, int fd, int dest, int rank)
{
    memset(s, 0, sizeof(*s));
    s->fd = fd;
    s->dest = dest;
    s->rank = rank;
    if (fd >= 0)
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Forward the complete lines of s in one write. With `final` (end of the
 * stream) a partial last line is forwarded too, ended with a newline; so is
 * a full buffer without any newline (a line longer than LR_LINE_MAX is
 * split). */
static void stream_emit(lr_stream_t *s, int final)
{
    char prefix[24];
    size_t plen, nlines = 0, end = 0, olen = 0;
    char *out;

    for (size_t i = 0; i < s->len; i++) {
        if (s->buf[i] == '\n') {
            nlines++;
            end = i + 1;
        }
    }
    if ((final || (end == 0 && s->len == LR_LINE_MAX)) && end < s->len) {
        nlines++;
        end = s->len;
    }
    if (nlines == 0)
        return;
    plen = (size_t)snprintf(prefix, sizeof(prefix), "[%d] ", s->rank);
    out = malloc(end + nlines * (plen + 1));
    if (out) {
        size_t i = 0;
        while (i < end) {
            const char *nl = memchr(s->buf + i, '\n', end - i);
            size_t n = nl ? (size_t)(nl - (s->buf + i)) : end - i;
            memcpy(out + olen, prefix, plen);
            memcpy(out + olen + plen, s->buf + i, n);
            olen += plen + n;
            out[olen++] = '\n';
            i += n + (nl ? 1 : 0);
        }
        lr_write_all(s->dest, out, olen);
        free(out);
    }
    memmove(s->buf, s->buf + end, s->len - end);
    s->len -= end;
}

void lr_stream_read(lr_stream_t *s)
{
    while (s->fd >= 0) {
        ssize_t n;

        if (!s->buf && !(s->buf = malloc(LR_LINE_MAX))) {
            lr_stream_close(s);
            return;
        }
        n = read(s->fd, s->buf + s->len, LR_LINE_MAX - s->len);
        if (n > 0) {
            s->len += (size_t)n;
            stream_emit(s, 0);
        } else if (n < 0 && errno == EAGAIN) {
            return;
        } else if (n == 0 || errno != EINTR) {
            lr_stream_close(s);
        }
    }
}

void lr_stream_close(lr_stream_t *s)
{
    if (s->fd < 0)
        return;
    if (s->buf)
        stream_emit(s, 1);
    close(s->fd);
    s->fd = -1;
    free(s->buf);
    s->buf = NULL;
    s->len = 0;
}
