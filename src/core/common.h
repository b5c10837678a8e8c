/*
 * Small definitions every layer uses.
 */
#ifndef PRAAS_CORE_COMMON_H
#define PRAAS_CORE_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <sched.h>
#include <time.h>

/* Marks a definition as part of the exported API (the library is built
 * with -fvisibility=hidden). */
#define PRAAS_API __attribute__((visibility("default")))

#define PRAAS_LIKELY(x) __builtin_expect(!!(x), 1)
#define PRAAS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define PRAAS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PRAAS_MIN(a, b) ((a) < (b) ? (a) : (b))
#define PRAAS_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Monotonic time in nanoseconds. */
static inline uint64_t core_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A deadline timeout_ms from now; timeout_ms < 0 means never (UINT64_MAX). */
static inline uint64_t core_deadline(int timeout_ms)
{
    return timeout_ms < 0 ? UINT64_MAX : core_now_ns() + (uint64_t)timeout_ms * 1000000u;
}

static inline int core_expired(uint64_t deadline)
{
    return deadline != UINT64_MAX && core_now_ns() >= deadline;
}

/* One step of waiting for another thread or process: spin first (the
 * answer often comes within a microsecond), then yield the core at every
 * turn (the one we wait for may need it: workers often outnumber cores),
 * and after a while sleep briefly, so that a long wait leaves the core to
 * the progress thread and to the other workers. idle counts the calls
 * since the wait began. */
static inline void core_backoff(unsigned idle)
{
    if (idle < 64) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    } else if (idle < 4096) { /* CORE_WAIT_LONG in core/wait.h */
        sched_yield();
    } else {
        struct timespec ts = {0, 20000};
        nanosleep(&ts, NULL);
    }
}

#endif /* PRAAS_CORE_COMMON_H */
