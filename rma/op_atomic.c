/*
 * Element-wise atomic application of reduction operations and
 * compare-and-swap (rma/op.h), for targets that several threads or
 * processes update at once: accumulates into shared-memory windows, and
 * the target side of accumulates that arrive as messages.
 *
 * Every element is updated under a lock striped by address: the target
 * memory is cut into stripes of 512 bytes, and stripe k of every 4096-byte
 * block shares lock k (RMA_OP_STRIPES = 8 locks per target memory, each in
 * a cache line of its own). An operation on count elements takes, in
 * chunks of at most RMA_OP_BULK_CHUNK bytes, the locks of every stripe its
 * chunk touches (all 8 once a chunk spans a block), in increasing index
 * order, and applies the plain rma_op_apply() loop (vectorized, rma/op.c)
 * to the chunk. A single element takes one lock and a few inline
 * instructions, about what one CPU atomic instruction costs. So a large
 * accumulate costs one pass over memory plus 8 lock acquisitions per
 * chunk, instead of one atomic read-modify-write per element (about 10 ns
 * each; the vector loop is well under 1 ns). Every element is covered by
 * the lock of the stripe of its first byte, which every operation on it
 * holds, so element-wise atomicity holds between all operations through
 * these functions on the same memory, whatever their op, type, count or
 * origin: more than MPI asks (the same op and type, or NO_OP). Stripes of
 * 512 bytes are the compromise between the locks a mid-sized accumulate
 * takes (an uncontended lock costs about as much as 20 elements of the
 * loop) and how often unrelated single-element operations of several
 * origins wait for each other.
 *
 * Everything here must also work between processes mapping the same
 * memory, which rules out pthread mutexes (they would need
 * PTHREAD_PROCESS_SHARED and initialization) and libatomic's lock-based
 * fallbacks (their locks are private to the process): hence the locks are
 * plain ints in the shared memory, updated with lock-free CPU atomics.
 * Locks are taken in increasing index order and never while holding a
 * higher one, so two operations never wait for each other in a cycle.
 */
#include <assert.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>

#include "core/common.h"
#include "rma/op.h"
#include "rma/op_combine.h"

_Static_assert(__atomic_always_lock_free(sizeof(int), 0),
               "the striped locks must be lock-free to work across processes");

/* ---- the striped locks ---- */

/* The smallest page size of the platforms we run on. Shared memory is
 * mapped at page-aligned addresses, which differ from one process to the
 * next; the offset of an element within a 4096-byte block is the same in
 * every process mapping it (every page size is a multiple of 4096), so only
 * that offset may pick the lock. */
enum { LOCK_ADDR_PERIOD = 4096, STRIPE_BYTES = LOCK_ADDR_PERIOD / RMA_OP_STRIPES };

_Static_assert(RMA_OP_STRIPES > 1 && STRIPE_BYTES * RMA_OP_STRIPES == LOCK_ADDR_PERIOD,
               "RMA_OP_STRIPES divides the 4096-byte block into stripes");

/* Lock k of the table. */
static inline int *lock_at(int *locks, size_t k)
{
    return &locks[k * RMA_OP_LOCK_STRIDE];
}

/* The index of the stripe holding addr: the lock of an element is that of
 * the stripe of its first byte. */
static inline unsigned stripe_of(const void *addr)
{
    return (unsigned)((uintptr_t)addr % LOCK_ADDR_PERIOD / STRIPE_BYTES);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

/* Test-and-test-and-set: spin on a plain load so that waiters share the
 * cache line instead of bouncing it, and yield the CPU now and then in case
 * the holder was preempted (more threads than cores). A process that dies
 * holding a lock leaves it held; the critical sections are a chunk's loop
 * with no call that can fail, so that takes a crash inside this file. */
static inline void lock_acquire(int *lock)
{
    unsigned spins = 0;

    while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(lock, __ATOMIC_RELAXED)) {
            if (++spins % 1024 == 0)
                sched_yield();
            else
                cpu_relax();
        }
    }
}

static inline void lock_release(int *lock)
{
    __atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

/* The locks covering bytes [addr, addr + bytes), bytes >= 1: stripes lo
 * to hi of the block, wrapping past the last index; every stripe once the
 * range spans a block. Taken in increasing index order. */
static void lock_range(int *locks, const void *addr, size_t bytes)
{
    size_t off = (uintptr_t)addr % LOCK_ADDR_PERIOD;
    size_t lo = off / STRIPE_BYTES, hi = (off + bytes - 1) / STRIPE_BYTES;

    if (hi - lo + 1 >= RMA_OP_STRIPES) {
        for (size_t k = 0; k < RMA_OP_STRIPES; k++)
            lock_acquire(lock_at(locks, k));
        return;
    }
    /* Past the end of the block the stripes wrap to 0: take those first. */
    for (size_t k = RMA_OP_STRIPES; k <= hi; k++)
        lock_acquire(lock_at(locks, k - RMA_OP_STRIPES));
    for (size_t k = lo; k <= hi && k < RMA_OP_STRIPES; k++)
        lock_acquire(lock_at(locks, k));
}

static void unlock_range(int *locks, const void *addr, size_t bytes)
{
    size_t off = (uintptr_t)addr % LOCK_ADDR_PERIOD;
    size_t lo = off / STRIPE_BYTES, hi = (off + bytes - 1) / STRIPE_BYTES;

    if (hi - lo + 1 >= RMA_OP_STRIPES) {
        for (size_t k = 0; k < RMA_OP_STRIPES; k++)
            lock_release(lock_at(locks, k));
        return;
    }
    for (size_t k = lo; k <= hi; k++)
        lock_release(lock_at(locks, k % RMA_OP_STRIPES));
}

/* ---- comparisons for compare-and-swap ---- */

/*
 * Compare-and-swap of the locked types (long double and the pairs)
 * compares values, not bytes: long double has padding bytes (6 on x86_64)
 * whose contents are arbitrary, and so do some pair types, so a bytewise
 * comparison could fail on equal values. By value means -0.0 equals 0.0
 * and a NaN equals nothing, so a CAS expecting a NaN always fails. The
 * types of 1, 2, 4 and 8 bytes compare bit patterns, as a CPU
 * compare-exchange would (so -0.0 differs from 0.0 and a NaN equals a NaN
 * of the same bits, as in most MPI libraries). (MPI-3.1 allows only
 * integer-like types in MPI_Compare_and_swap; the floating and pair types
 * are our extension.)
 */
#define EQUAL_FLOATING_(x, y) ((x) == (y))
#define EQUAL_PAIR_(x, y) ((x).v == (y).v && (x).i == (y).i)
#define DEFINE_EQUAL_(NAME, T, CLASS, BITS)                   \
    static inline int equal_##NAME(const void *a, const void *b) \
    {                                                         \
        T x, y;                                               \
        memcpy(&x, a, sizeof(T));                             \
        memcpy(&y, b, sizeof(T));                             \
        return EQUAL_##CLASS##_(x, y);                        \
    }
RMA_TYPES_LOCKED(DEFINE_EQUAL_)
#undef DEFINE_EQUAL_

#define DEFINE_EQUAL_BITS_(NAME, T, CLASS, BITS)              \
    static inline int equal_##NAME(const void *a, const void *b) \
    {                                                         \
        BITS x, y;                                            \
        memcpy(&x, a, sizeof(BITS));                          \
        memcpy(&y, b, sizeof(BITS));                          \
        return x == y;                                        \
    }
RMA_TYPES_CPU(DEFINE_EQUAL_BITS_)
#undef DEFINE_EQUAL_BITS_

/* Room for one element of any type (the bulk path's copies of operands). */
union any_elem {
#define ANY_MEMBER_(NAME, T, CLASS, BITS) T m_##NAME;
    RMA_TYPES(ANY_MEMBER_)
#undef ANY_MEMBER_
};

/* ---- one element ---- */

/* one_NAME(op, in, target, old): the critical section of a single-element
 * operation, inline, for fetch-and-op and the other 1-element calls (the
 * latency that counts there). The operand is read before old is written,
 * so the two may overlap. */
#define DEFINE_ONE_(NAME, T, CLASS, BITS)                                                \
    static inline void one_##NAME(praas_op_t op, const void *in, void *target, void *old) \
    {                                                                                    \
        T x, y;                                                                          \
                                                                                         \
        memcpy(&x, target, sizeof(T));                                                   \
        memcpy(&y, in, sizeof(T));                                                       \
        if (old)                                                                         \
            memcpy(old, &x, sizeof(T));                                                  \
        if (op == PRAAS_OP_NO_OP)                                                        \
            return;                                                                      \
        x = op == PRAAS_OP_REPLACE ? y : rma_combine_##NAME(op, x, y);                   \
        memcpy(target, &x, sizeof(T));                                                   \
    }
RMA_TYPES(DEFINE_ONE_)
#undef DEFINE_ONE_

static inline void apply_one(praas_op_t op, praas_type_t type, const void *in, void *target,
                             void *old)
{
    switch (type) {
#define ONE_CASE_(NAME, T, CLASS, BITS)     \
    case PRAAS_##NAME:                      \
        one_##NAME(op, in, target, old);    \
        break;
        RMA_TYPES(ONE_CASE_)
#undef ONE_CASE_
    default:
        break;
    }
}

/* ---- the entry points ---- */

/* The size of an element, inline (praas_type_size is a call). */
static inline size_t elem_size(praas_type_t type)
{
    switch (type) {
#define SIZE_CASE_(NAME, T, CLASS, BITS) \
    case PRAAS_##NAME:                   \
        return sizeof(T);
        RMA_TYPES(SIZE_CASE_)
#undef SIZE_CASE_
    default:
        return 1;
    }
}

/* count > 1 elements, chunk by chunk (see the top of this file). Kept out
 * of line so that the single-element path stays short. */
static __attribute__((noinline)) void apply_bulk(praas_op_t op, praas_type_t type,
                                                 const void *in, void *target, void *old,
                                                 size_t count, int *locks)
{
    size_t size = elem_size(type);
    size_t per = size < RMA_OP_BULK_CHUNK ? RMA_OP_BULK_CHUNK / size : 1;
    const unsigned char *src = in;
    unsigned char *dst = target, *prev = old;
    union any_elem tmp[8];
    int overlap = 0;

    assert(!rma_op_needs_alignment(type) || (uintptr_t)target % size == 0);
    /* Old values written over the operand before it is read would be
     * applied instead of it: when the two buffers overlap, go a few
     * elements at a time through a copy of the operand. */
    if (old && op != PRAAS_OP_NO_OP && (uintptr_t)old < (uintptr_t)in + count * size &&
        (uintptr_t)in < (uintptr_t)old + count * size) {
        overlap = 1;
        per = sizeof(tmp) / size;
    }
    while (count) {
        size_t n = count < per ? count : per, bytes = n * size;

        if (overlap) {
            memcpy(tmp, src, bytes);
            src = (const unsigned char *)tmp;
        }
        lock_range(locks, dst, bytes);
        if (prev)
            memcpy(prev, dst, bytes);
        rma_op_apply(op, type, src, dst, n);
        unlock_range(locks, dst, bytes);
        if (overlap)
            src = (const unsigned char *)in + (dst - (unsigned char *)target);
        /* NO_OP reads nothing from in (which may be the target itself). */
        src += bytes;
        dst += bytes;
        if (prev)
            prev += bytes;
        count -= n;
    }
}

/* Thread-safe and process-safe as rma/op.h describes; op must be valid for
 * type, and elements of 2, 4 and 8 bytes naturally aligned (checked by
 * assert: the callers refuse the others). */
void rma_op_apply_atomic(praas_op_t op, praas_type_t type, const void *in, void *target,
                         void *old, size_t count, int *locks)
{
    int *lock;

    if (count != 1) {
        if (count)
            apply_bulk(op, type, in, target, old, count, locks);
        return;
    }
    lock = lock_at(locks, stripe_of(target));
    lock_acquire(lock);
    apply_one(op, type, in, target, old);
    lock_release(lock);
}

/* cas_NAME(in, compare, target, old, lock): one compare-and-swap under
 * lock, with the element's own size so that every copy is a plain load or
 * store. old is written after the comparison, as it may be the compare
 * buffer. */
#define DEFINE_CAS_(NAME, T, CLASS, BITS)                                                  \
    static inline void cas_##NAME(const void *in, const void *compare, void *target,       \
                                  void *old, int *lock)                                    \
    {                                                                                      \
        T cur;                                                                             \
                                                                                           \
        lock_acquire(lock);                                                                \
        memcpy(&cur, target, sizeof(T));                                                   \
        if (equal_##NAME(&cur, compare))                                                   \
            memcpy(target, in, sizeof(T));                                                 \
        lock_release(lock);                                                                \
        memcpy(old, &cur, sizeof(T));                                                      \
    }
RMA_TYPES(DEFINE_CAS_)
#undef DEFINE_CAS_

/* Thread-safe and process-safe; see equal_NAME above for what equal means.
 * old may be the compare buffer. */
void rma_op_cas_atomic(praas_type_t type, const void *in, const void *compare, void *target,
                       void *old, int *locks)
{
    int *lock = lock_at(locks, stripe_of(target));

    switch (type) {
#define CAS_CASE_(NAME, T, CLASS, BITS)                \
    case PRAAS_##NAME:                                 \
        cas_##NAME(in, compare, target, old, lock);    \
        break;
        RMA_TYPES(CAS_CASE_)
#undef CAS_CASE_
    default:
        break;
    }
}

/* 1-byte elements are always aligned; long double and the pairs are not
 * scalars a CPU loads in one access, so they need no alignment. */
int rma_op_needs_alignment(praas_type_t type)
{
    switch (type) {
#define ALIGN_CASE_(NAME, T, CLASS, BITS) \
    case PRAAS_##NAME:                    \
        return sizeof(T) > 1;
        RMA_TYPES_CPU(ALIGN_CASE_)
#undef ALIGN_CASE_
    default:
        return 0;
    }
}
