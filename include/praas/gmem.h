/*
 * Global memory objects: named memory that one worker allocates and any
 * worker of the process finds by name, reads, writes and updates atomically
 * with one-sided operations, and that can be persisted to storage and
 * restored after its owner is gone.
 *
 * An object lives in the memory of one worker, its owner, registered once
 * with the transport. Its directory entry (name, owner, size, remote key,
 * view, state) is kept by the control plane (in-process for a single worker
 * without PRAAS_CONTROL). The first open of a name asks the directory; every
 * access after that is a direct one-sided transport operation to the owner
 * (also when the owner is the calling worker), with no control-plane hop.
 *
 * Names: 1 to PRAAS_OBJ_NAME_MAX characters of [A-Za-z0-9_.-], without two
 * dots in a row; one namespace per process (PRAAS_PROCESS).
 *
 * Atomicity: praas_obj_fetch_add and praas_obj_cswap are atomic with each
 * other, from every worker, whoever the owner is (they are all transport
 * atomics). put and get are not atomic with respect to atomics on the same
 * bytes, as in MPI.
 *
 * Owners that go: when a worker leaves the view (praas/view.h) its objects
 * move to the workers that stay; when one dies (praas-run --keep-going),
 * the next access to an object it owned restores the object from storage
 * if it was persisted (praas_obj_persist; the copy's bytes), onto the
 * accessing worker, and otherwise fails with PRAAS_ERR_PEER ("lost"),
 * never reading zeros. Either way the caller sees only the latency.
 *
 * Progress: the owner never has to call praas for its objects to be
 * reached, allocated at it or freed (its progress engine serves them), as
 * long as PRAAS_PROGRESS=thread (the default).
 *
 * Thread safety: every call is thread-safe, except that one handle must not
 * be closed or freed while another thread uses it. See praas_obj_alloc(3).
 */
#ifndef PRAAS_GMEM_H
#define PRAAS_GMEM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest object name, in characters. */
#define PRAAS_OBJ_NAME_MAX 200

/* Where praas_obj_alloc places an object: a rank >= 0, or one of these. */
#define PRAAS_OBJ_HERE (-1) /* the calling worker */
#define PRAAS_OBJ_ANY (-2)  /* the runtime chooses: member hash(name) mod members */

/* A worker's handle to an object; opaque. */
typedef struct praas_obj *praas_obj_t;

/* What praas_obj_list reports of each object. */
typedef struct praas_obj_info {
    const char *name; /* valid during the callback only */
    size_t size;
    int owner;        /* the owner's rank, -1 when no live worker holds it */
    int persisted;    /* 1 when a copy is in storage */
} praas_obj_info_t;

/* Return 0 to go on listing; anything else stops the listing and becomes
 * praas_obj_list's return value. */
typedef int (*praas_obj_list_cb_t)(const praas_obj_info_t *info, void *arg);

/* Allocate a zero-filled object of size bytes named name at `where` and
 * open it. PRAAS_ERR_EXISTS if the name is taken, PRAAS_ERR_INVALID for a
 * bad name, a size of 0 or a bad `where`, PRAAS_ERR_RANGE for a rank past
 * the world or one that left the view. */
int praas_obj_alloc(const char *name, size_t size, int where, praas_obj_t *obj_p);

/* Open an existing object. PRAAS_ERR_NOT_FOUND for an unknown name. An
 * object whose owner is gone is restored from storage onto this worker
 * when it was persisted; otherwise PRAAS_ERR_PEER ("object X was lost"). */
int praas_obj_open(const char *name, praas_obj_t *obj_p);

/* Drop this worker's handle (the object stays); sets *obj_p to NULL. */
int praas_obj_close(praas_obj_t *obj_p);

/* Destroy the object everywhere: its directory entry and its memory at
 * the owner (and the handle; *obj_p becomes NULL). Other workers' handles
 * to it become invalid. Its copy in storage, if any, stays. */
int praas_obj_free(praas_obj_t *obj_p);

/* The object's size in bytes. */
int praas_obj_size(praas_obj_t obj, size_t *size_p);

/* Blocking: when put returns, the bytes are in the object (remote
 * completion); when get returns, buf holds them. PRAAS_ERR_RANGE when
 * [offset, offset + len) leaves the object (nothing is transferred);
 * PRAAS_ERR_PEER when its owner died without persisting it (lost). */
int praas_obj_put(praas_obj_t obj, size_t offset, const void *buf, size_t len);
int praas_obj_get(praas_obj_t obj, size_t offset, void *buf, size_t len);

/* Non-blocking: start the transfer and return; buf must not be reused
 * (iput) or read (iget) until praas_obj_flush(obj) returns, which
 * completes every transfer started on this handle, remotely for puts. */
int praas_obj_iput(praas_obj_t obj, size_t offset, const void *buf, size_t len);
int praas_obj_iget(praas_obj_t obj, size_t offset, void *buf, size_t len);
int praas_obj_flush(praas_obj_t obj);

/* Atomics on the 64-bit element at offset (a multiple of 8): add value and
 * return the previous value in *old_p (may be NULL); compare-and-swap:
 * store value if the element equals compare, and return the previous value
 * in *old_p (may be NULL) either way. PRAAS_ERR_INVALID for a misaligned
 * offset, PRAAS_ERR_RANGE past the end. */
int praas_obj_fetch_add(praas_obj_t obj, size_t offset, uint64_t value, uint64_t *old_p);
int praas_obj_cswap(praas_obj_t obj, size_t offset, uint64_t compare, uint64_t value,
                    uint64_t *old_p);

/* Call cb for each object whose name starts with prefix ("" or NULL for
 * all), in name order. */
int praas_obj_list(const char *prefix, praas_obj_list_cb_t cb, void *arg);

/* Write the object's bytes to storage (PRAAS_STORAGE) under
 * "objects/PROCESS/NAME" and mark its directory entry persisted. The copy
 * is a snapshot: writes that race with it may or may not be in it.
 * PRAAS_ERR_IO naming the cause when the storage cannot be reached. */
int praas_obj_persist(praas_obj_t obj);

#ifdef __cplusplus
}
#endif

#endif /* PRAAS_GMEM_H */
