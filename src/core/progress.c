#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "core/progress.h"

#define PROGRESS_MIN_NAP_NS 10000L
/* Empty polls before the thread may sleep (each is 0.1 to 1 us). */
#define PROGRESS_MIN_EMPTY_POLLS 2000u

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Sleep until the transport has work, the stop fd fires, or (without a
 * wait fd) a nap of *nap_ns passes. */
static void progress_sleep(core_progress_t *p, int wait_fd, long *nap_ns)
{
    struct pollfd fds[2];
    int nfds = 0, rc;

    if (wait_fd >= 0) {
        rc = tp_wait_arm(p->tp);
        if (rc == PRAAS_ERR_AGAIN)
            return; /* events are pending: progress instead */
        if (rc == 0)
            fds[nfds++] = (struct pollfd){.fd = wait_fd, .events = POLLIN};
    }
    if (nfds == 1) {
        fds[nfds++] = (struct pollfd){.fd = p->stop_fd, .events = POLLIN};
        /* Bounded even with a wait fd: a backend whose fd misses an event
         * costs at most this much, never a hang. */
        poll(fds, (nfds_t)nfds, 100);
        return;
    }
    /* No wait fd: nap, longer each time nothing happens. The stop flag is
     * checked between naps. */
    struct timespec ts = {0, *nap_ns};
    nanosleep(&ts, NULL);
    *nap_ns = PRAAS_MIN(*nap_ns * 2, p->max_nap_ns);
}

static void *progress_main(void *arg)
{
    core_progress_t *p = arg;
    uint64_t last_event = core_now_ns();
    long nap_ns = PRAAS_MIN(PROGRESS_MIN_NAP_NS, p->max_nap_ns);
    int wait_fd = -1;

    if (tp_wait_fd(p->tp, &wait_fd) != 0)
        wait_fd = -1;
    unsigned empty = 0;

    while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
        /* An application thread is progressing in a wait loop: let it,
         * and check back shortly. */
        if (atomic_load_explicit(&p->tp->waiters, memory_order_relaxed) > 0) {
            struct timespec ts = {0, 20000};
            nanosleep(&ts, NULL);
            last_event = core_now_ns();
            empty = 0;
            continue;
        }
        int n = tp_progress(p->tp);
        if (n > 0) {
            last_event = core_now_ns();
            empty = 0;
            nap_ns = PRAAS_MIN(PROGRESS_MIN_NAP_NS, p->max_nap_ns);
            continue;
        }
        if (n < 0)
            core_log(CORE_LOG_WARN, "progress: %s", praas_errmsg());
        /* Keep polling for spin_ns after the last event, and for a number
         * of empty polls too: a thread descheduled for a while (more
         * threads than cores) has not really been polling, and should not
         * fall asleep the moment it runs again. */
        if (++empty < PROGRESS_MIN_EMPTY_POLLS ||
            core_now_ns() - last_event < (uint64_t)p->spin_ns) {
            cpu_relax();
            continue;
        }
        progress_sleep(p, wait_fd, &nap_ns);
        empty = PROGRESS_MIN_EMPTY_POLLS / 2;
        last_event = core_now_ns() - (uint64_t)p->spin_ns / 2;
    }
    return NULL;
}

int core_progress_start(core_progress_t *p, tp_ctx_t *tp, long spin_us, long max_nap_us)
{
    int rc;

    memset(p, 0, sizeof(*p));
    p->tp = tp;
    p->spin_ns = spin_us * 1000L;
    p->max_nap_ns = max_nap_us * 1000L;
    atomic_init(&p->stop, 0);
    p->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (p->stop_fd < 0)
        return core_err(PRAAS_ERR_IO, "eventfd for the progress thread: %s", strerror(errno));
    rc = pthread_create(&p->thread, NULL, progress_main, p);
    if (rc) {
        close(p->stop_fd);
        return core_err(PRAAS_ERR_INTERNAL, "cannot start the progress thread: %s",
                        strerror(rc));
    }
    p->running = 1;
    return 0;
}

void core_progress_stop(core_progress_t *p)
{
    uint64_t one = 1;

    if (!p->running)
        return;
    atomic_store(&p->stop, 1);
    if (write(p->stop_fd, &one, sizeof(one)) < 0)
        core_log(CORE_LOG_WARN, "progress: cannot wake the thread: %s", strerror(errno));
    pthread_join(p->thread, NULL);
    close(p->stop_fd);
    p->running = 0;
}
