/*
 * Element-wise atomic application of reduction operations and
 * compare-and-swap (rma/op.h), for targets that several threads or
 * processes update at once: accumulates into shared-memory windows.
 *
 * Elements of 1, 2, 4 and 8 bytes (RMA_TYPES_CPU in rma/op_combine.h) are
 * updated with CPU atomics on an unsigned integer of their size: native
 * fetch-and-op where the hardware has one for the operation's meaning
 * (integer SUM, BAND, BOR, BXOR; REPLACE; NO_OP as a load), otherwise a
 * compare-exchange loop over the bit pattern. The others (long double and
 * the pair types) are updated under a spinlock picked from a small table of
 * locks by the element's address.
 *
 * Everything here must also work between processes mapping the same
 * memory, which rules out pthread mutexes (they would need
 * PTHREAD_PROCESS_SHARED and initialization) and libatomic's lock-based
 * fallbacks (their locks are private to the process): hence the
 * lock-freedom checks below and the locks living in the shared memory.
 */
#include <assert.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>

#include "core/common.h"
#include "rma/op.h"
#include "rma/op_combine.h"

_Static_assert(__atomic_always_lock_free(1, 0) && __atomic_always_lock_free(2, 0) &&
                   __atomic_always_lock_free(4, 0) && __atomic_always_lock_free(8, 0),
               "atomics of 1, 2, 4 and 8 bytes must be lock-free to work across processes");

/* ---- the striped lock, for long double and the pair types ---- */

/* The smallest page size of the platforms we run on. Shared memory is
 * mapped at page-aligned addresses, which differ from one process to the
 * next; the offset of an element within a 4096-byte block is the same in
 * every process mapping it (every page size is a multiple of 4096), so only
 * that offset may pick the lock. */
enum { LOCK_ADDR_PERIOD = 4096 };

/* The lock of the element at addr: Fibonacci hashing (the top bits of the
 * product with 2^32 / golden ratio) of the element's 8-byte slot within its
 * 4096-byte block, which spreads neighbouring elements over different
 * locks whatever their size. */
static int *lock_for(int *locks, const void *addr)
{
    uint32_t slot = (uint32_t)((uintptr_t)addr % LOCK_ADDR_PERIOD) / 8;

    _Static_assert(RMA_OP_NLOCKS > 1 && (RMA_OP_NLOCKS & (RMA_OP_NLOCKS - 1)) == 0,
                   "RMA_OP_NLOCKS is a power of two");
    return &locks[(slot * 2654435769u) >> (32 - __builtin_ctz(RMA_OP_NLOCKS))];
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
 * holding a lock leaves it held; the critical sections are a few loads and
 * stores, so that takes a crash inside this file. */
static void lock_acquire(int *lock)
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

static void lock_release(int *lock)
{
    __atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

/* Apply to count elements of a locked type, each under its own lock: the
 * plain rma_op_apply() on one element is the critical section. */
static void apply_locked(praas_op_t op, praas_type_t type, const unsigned char *in,
                         unsigned char *target, unsigned char *old, size_t count, int *locks)
{
    size_t size = praas_type_size(type);

    for (size_t i = 0; i < count; i++, in += size, target += size) {
        int *lock = lock_for(locks, target);

        lock_acquire(lock);
        if (old)
            memcpy(old + i * size, target, size);
        rma_op_apply(op, type, in, target, 1);
        lock_release(lock);
    }
}

/*
 * Compare-and-swap under the lock compares values, not bytes: long double
 * has padding bytes (6 on x86_64) whose contents are arbitrary, and so do
 * some pair types, so a bytewise comparison could fail on equal values. By
 * value means -0.0 equals 0.0 and a NaN equals nothing, so a CAS expecting
 * a NaN always fails. (MPI-3.1 allows only integer-like types in
 * MPI_Compare_and_swap; the floating and pair types are our extension.)
 */
#define EQUAL_FLOATING_(x, y) ((x) == (y))
#define EQUAL_PAIR_(x, y) ((x).v == (y).v && (x).i == (y).i)
#define DEFINE_EQUAL_(NAME, T, CLASS, BITS)                   \
    static int equal_##NAME(const void *a, const void *b)     \
    {                                                         \
        T x, y;                                               \
        memcpy(&x, a, sizeof(T));                             \
        memcpy(&y, b, sizeof(T));                             \
        return EQUAL_##CLASS##_(x, y);                        \
    }
RMA_TYPES_LOCKED(DEFINE_EQUAL_)
#undef DEFINE_EQUAL_

/* Room for one element of any locked type. */
union locked_elem {
#define LOCKED_MEMBER_(NAME, T, CLASS, BITS) T m_##NAME;
    RMA_TYPES_LOCKED(LOCKED_MEMBER_)
#undef LOCKED_MEMBER_
};

static void cas_locked(praas_type_t type, const void *in, const void *compare, void *target,
                       void *old, int *locks)
{
    union locked_elem prev;
    size_t size = praas_type_size(type);
    int *lock = lock_for(locks, target);
    int equal = 0;

    assert(size <= sizeof(prev));
    lock_acquire(lock);
    memcpy(&prev, target, size);
    switch (type) {
#define EQUAL_CASE_(NAME, T, CLASS, BITS) \
    case PRAAS_##NAME:                    \
        equal = equal_##NAME(&prev, compare); \
        break;
        RMA_TYPES_LOCKED(EQUAL_CASE_)
#undef EQUAL_CASE_
    default:
        break;
    }
    if (equal)
        memcpy(target, in, size);
    lock_release(lock);
    /* Written after the comparison, as old may be the compare buffer. */
    memcpy(old, &prev, size);
}

/* ---- CPU atomics, for the elements of 1, 2, 4 and 8 bytes ---- */

/* The native fetch-and-op cases per class of type: integers have them for
 * SUM (on the unsigned bits, which is two's complement wrapping for signed
 * types too) and the bitwise operations, bytes for the bitwise ones;
 * floating point has none (adding bit patterns is not adding values). */
#define NATIVE_INTEGER_                                          \
    case PRAAS_OP_SUM:                                           \
        prev = __atomic_fetch_add(p, y, __ATOMIC_SEQ_CST);       \
        break;                                                   \
    case PRAAS_OP_BAND:                                          \
        prev = __atomic_fetch_and(p, y, __ATOMIC_SEQ_CST);       \
        break;                                                   \
    case PRAAS_OP_BOR:                                           \
        prev = __atomic_fetch_or(p, y, __ATOMIC_SEQ_CST);        \
        break;                                                   \
    case PRAAS_OP_BXOR:                                          \
        prev = __atomic_fetch_xor(p, y, __ATOMIC_SEQ_CST);       \
        break;
#define NATIVE_BYTE_                                             \
    case PRAAS_OP_BAND:                                          \
        prev = __atomic_fetch_and(p, y, __ATOMIC_SEQ_CST);       \
        break;                                                   \
    case PRAAS_OP_BOR:                                           \
        prev = __atomic_fetch_or(p, y, __ATOMIC_SEQ_CST);        \
        break;                                                   \
    case PRAAS_OP_BXOR:                                          \
        prev = __atomic_fetch_xor(p, y, __ATOMIC_SEQ_CST);       \
        break;
#define NATIVE_FLOATING_
#define NATIVE_CHAR_

/*
 * For each CPU type:
 * cas_loop_NAME(op, p, y) applies op with the element y (as bits) to *p by
 * a compare-exchange loop and returns the previous bits. The comparison is
 * on bits, so a NaN in the target does not make the loop spin forever.
 * atomic_NAME(op, in, target, old, count) applies op to count elements.
 * cas_NAME(in, compare, target, old) is one bitwise compare-and-swap.
 */
#define DEFINE_ATOMIC_(NAME, T, CLASS, BITS)                                                 \
    _Static_assert(sizeof(T) == sizeof(BITS), #T " has the size of " #BITS);                 \
                                                                                             \
    static BITS cas_loop_##NAME(praas_op_t op, BITS *p, BITS ybits)                          \
    {                                                                                        \
        BITS cur = __atomic_load_n(p, __ATOMIC_RELAXED), next;                               \
        T x, y;                                                                              \
                                                                                             \
        memcpy(&y, &ybits, sizeof(T));                                                       \
        do {                                                                                 \
            memcpy(&x, &cur, sizeof(T));                                                     \
            x = rma_combine_##NAME(op, x, y);                                                \
            memcpy(&next, &x, sizeof(T));                                                    \
        } while (!__atomic_compare_exchange_n(p, &cur, next, 1, __ATOMIC_SEQ_CST,           \
                                              __ATOMIC_RELAXED));                            \
        return cur;                                                                          \
    }                                                                                        \
                                                                                             \
    static void atomic_##NAME(praas_op_t op, const unsigned char *in, unsigned char *target, \
                              unsigned char *old, size_t count)                              \
    {                                                                                        \
        for (size_t i = 0; i < count; i++) {                                                 \
            BITS *p = (BITS *)(void *)(target + i * sizeof(BITS));                           \
            BITS y, prev;                                                                    \
                                                                                             \
            assert((uintptr_t)p % sizeof(BITS) == 0);                                        \
            memcpy(&y, in + i * sizeof(BITS), sizeof(BITS));                                 \
            switch (op) {                                                                    \
            case PRAAS_OP_REPLACE:                                                           \
                prev = __atomic_exchange_n(p, y, __ATOMIC_SEQ_CST);                          \
                break;                                                                       \
            case PRAAS_OP_NO_OP:                                                             \
                prev = __atomic_load_n(p, __ATOMIC_SEQ_CST);                                 \
                break;                                                                       \
                NATIVE_##CLASS##_                                                            \
            default:                                                                         \
                prev = cas_loop_##NAME(op, p, y);                                            \
                break;                                                                       \
            }                                                                                \
            if (old)                                                                         \
                memcpy(old + i * sizeof(BITS), &prev, sizeof(BITS));                         \
        }                                                                                    \
    }                                                                                        \
                                                                                             \
    static void cas_##NAME(const void *in, const void *compare, void *target, void *old)     \
    {                                                                                        \
        BITS *p = target, expected, desired;                                                 \
                                                                                             \
        assert((uintptr_t)p % sizeof(BITS) == 0);                                            \
        memcpy(&expected, compare, sizeof(BITS));                                            \
        memcpy(&desired, in, sizeof(BITS));                                                  \
        /* On failure expected receives the current value; on success it */                 \
        /* already holds it. Either way it is the previous value. */                         \
        __atomic_compare_exchange_n(p, &expected, desired, 0, __ATOMIC_SEQ_CST,              \
                                    __ATOMIC_SEQ_CST);                                       \
        memcpy(old, &expected, sizeof(BITS));                                                \
    }
RMA_TYPES_CPU(DEFINE_ATOMIC_)
#undef DEFINE_ATOMIC_

/* ---- the entry points ---- */

/* Thread-safe and process-safe as rma/op.h describes; op must be valid for
 * type and CPU-typed targets naturally aligned (checked by assert). */
void rma_op_apply_atomic(praas_op_t op, praas_type_t type, const void *in, void *target,
                         void *old, size_t count, int *locks)
{
    switch (type) {
#define ATOMIC_CASE_(NAME, T, CLASS, BITS)         \
    case PRAAS_##NAME:                             \
        atomic_##NAME(op, in, target, old, count); \
        break;
        RMA_TYPES_CPU(ATOMIC_CASE_)
#undef ATOMIC_CASE_
    default:
        apply_locked(op, type, in, target, old, count, locks);
        break;
    }
}

/* Thread-safe and process-safe; CPU types compare bit patterns (so -0.0
 * differs from 0.0 and a NaN equals a NaN of the same bits, as in most MPI
 * libraries), locked types compare values (see cas_locked). old may be the
 * compare buffer. */
void rma_op_cas_atomic(praas_type_t type, const void *in, const void *compare, void *target,
                       void *old, int *locks)
{
    switch (type) {
#define CAS_CASE_(NAME, T, CLASS, BITS)        \
    case PRAAS_##NAME:                         \
        cas_##NAME(in, compare, target, old);  \
        break;
        RMA_TYPES_CPU(CAS_CASE_)
#undef CAS_CASE_
    default:
        cas_locked(type, in, compare, target, old, locks);
        break;
    }
}

/* 1-byte elements are always aligned, locked types need no alignment. */
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
