/*
 * Global memory objects, private part: the directory (dir.c: the control
 * plane's, or an in-process one for a single worker), the owner side
 * (owner.c: memory, registration, the active messages that allocate and
 * free at an owner), handles and the location cache (obj.c), accesses
 * (ops.c) and persistence (persist.c).
 */
#ifndef PRAAS_GMEM_GMEM_H
#define PRAAS_GMEM_GMEM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <praas/gmem.h>
#include <praas/init.h>
#include <praas/view.h>

#include "transport/transport.h"

/* The largest packed remote key we carry. */
#define GM_KEY_MAX 1024

enum gm_state {
    GM_LIVE = 0,      /* in its owner's memory; never stored */
    GM_PERSISTED = 1, /* a copy is in storage (and maybe still live) */
};

/* A directory entry, as the directory reports it. */
typedef struct gm_entry {
    char name[PRAAS_OBJ_NAME_MAX + 1];
    int owner;
    uint64_t size;
    uint64_t view;
    int state;
    int owner_live;       /* the owner's session is part of the current run */
    unsigned char key[GM_KEY_MAX];
    size_t key_len;
    char storage_key[512]; /* "" when never persisted */
} gm_entry_t;

/* Return code with a message that is fmt's text, ": ", and the message
 * of the failure being wrapped (praas_errmsg(), copied first: it is the
 * buffer core_err writes). */
int gm_err_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- dir.c ---- */

/* Whether a control plane keeps the directory (PRAAS_CONTROL set). */
int gm_dir_remote(void);
/* Add an entry {name, owner, size, key, view 0, live}; PRAAS_ERR_EXISTS. */
int gm_dir_create(const char *name, int owner, uint64_t size, const void *key,
                  size_t key_len);
/* PRAAS_ERR_NOT_FOUND for an unknown name. */
int gm_dir_lookup(const char *name, gm_entry_t *e);
/* How many lookups this worker made (white-box tests of the location
 * cache: testsuite/gmem_view.c). */
unsigned long long gm_dir_lookups(void);
/* Remove; PRAAS_ERR_NOT_FOUND if absent. The one that removes it frees it. */
int gm_dir_remove(const char *name);
/* Call cb on each entry whose name starts with prefix, in name order. */
int gm_dir_list(const char *prefix, int (*cb)(const gm_entry_t *e, void *arg), void *arg);
/* Mark persisted under storage key skey. */
int gm_dir_set_persisted(const char *name, const char *skey, uint64_t size);
/* Claim the restore of an object whose owner is gone: 0 if this rank holds
 * the claim, PRAAS_ERR_AGAIN if another rank does (*holder_p names it),
 * PRAAS_ERR_STATE if the owner is live again (restored meanwhile). */
int gm_dir_claim_restore(const char *name, int rank, int *holder_p);
/* Finish a restore: owner = rank, new key, live. */
int gm_dir_set_live(const char *name, int rank, const void *key, size_t key_len);
/* A leaving owner moved the object to rank: owner = rank, new key, view. */
int gm_dir_set_migrated(const char *name, int rank, const void *key, size_t key_len,
                        uint64_t view);
/* Forget the in-process directory (finalize of a single worker). */
void gm_dir_reset(void);

/* ---- owner.c ---- */

/* An object this worker owns. */
typedef struct gm_owned {
    struct gm_owned *next;
    char name[PRAAS_OBJ_NAME_MAX + 1];
    void *base;     /* mmap'd, map_len bytes */
    size_t size;
    size_t map_len;
    tp_mr_t *mr;
} gm_owned_t;

/* Allocate and register size bytes as object name at this worker; on
 * success the packed key is in key (GM_KEY_MAX bytes), its length in
 * *key_len_p. PRAAS_ERR_EXISTS if this worker already owns that name.
 * Safe to call from the progress engine. If data is not NULL, the memory
 * starts with its size bytes instead of zeros. */
int gm_owner_alloc(const char *name, size_t size, const void *data, void *key,
                   size_t *key_len_p);
/* Release an owned object; PRAAS_ERR_NOT_FOUND if not owned here. */
int gm_owner_free(const char *name);
/* Copy the bytes of an owned object into buf (its size); NOT_FOUND. */
int gm_owner_read(const char *name, void *buf, size_t size);
/* The memory of an owned object; NOT_FOUND. The pointer stays valid until
 * the object is freed here. */
int gm_owner_peek(const char *name, void **base_p, size_t *size_p);
/* Call fn on every owned object (under the table's lock: fn must not
 * call gm_owner_*). */
void gm_owner_foreach(void (*fn)(gm_owned_t *o, void *arg), void *arg);
/* Release everything owned (finalize). */
void gm_owner_release_all(void);

/* Active messages to an owner (CORE_AM_GMEM): ask rank to allocate or free
 * name, waiting for its answer up to PRAAS_OP_TIMEOUT. */
int gm_am_alloc(int rank, const char *name, size_t size, void *key, size_t *key_len_p);
int gm_am_free(int rank, const char *name);
/* Install the handler (praas_init, through core_on_init). */
int gm_am_init(tp_ctx_t *tp);

/* ---- obj.c ---- */

/* A location in the per-worker cache, shared by every handle of a name.
 * Accesses hold lock for reading while they use owner and rkey; a refresh
 * (gm_loc_refresh) holds it for writing while it replaces them. */
typedef struct gm_loc {
    struct gm_loc *next;
    char name[PRAAS_OBJ_NAME_MAX + 1];
    pthread_rwlock_t lock;
    int owner;
    uint64_t size;
    uint64_t view;  /* the view in which this location was last confirmed */
    tp_rkey_t *rkey;
    atomic_int stale; /* look the name up again before the next access */
    int refs; /* handles using it; it leaves the cache at 0 */
} gm_loc_t;

struct praas_obj {
    gm_loc_t *loc;
    tp_comp_t *comp; /* iput/iget not yet flushed (gm_comp_new) */
    atomic_int puts; /* iputs since the last flush */
};

/* ---- ops.c ---- */

/* A completion counter on the heap, and the end of one: freed when no
 * operation is pending, else kept on a list of orphans until the transport
 * is done with it (an owner that died may leave operations pending). */
tp_comp_t *gm_comp_new(void);
void gm_comp_release(tp_comp_t *c);

/* Check a name; PRAAS_ERR_INVALID naming what is wrong. */
int gm_name_check(const char *name);
/* Mark stale every cached location confirmed in a view older than view
 * (a view change), or owned by rank owner (an access found it gone, or it
 * left): the next access through any handle looks the name up again. */
void gm_cache_invalidate_view(uint64_t view);
void gm_cache_invalidate_owner(int owner);
/* Look a stale location up again (restoring the object from storage when
 * its owner is gone, or failing with "lost"). 0 when loc is usable. */
int gm_loc_refresh(gm_loc_t *loc);
/* After a failed access through loc: whether the directory shows that its
 * owner is gone or that it moved (then loc is stale: 1), waiting a little
 * for the launcher to report a death; 0 when the location still holds. */
int gm_loc_check(gm_loc_t *loc);
/* Cached locations: the number held, for tests (testsuite/gmem_view). */
int gm_cache_count(void);
/* The storage key of an object: "objects/PROCESS/NAME". */
void gm_storage_key(const char *name, char *buf, size_t len);

/* ---- persist.c ---- */

/* Persist the owned object name (bytes read locally) or, when not owned,
 * through loc. */
int gm_persist(const char *name, const gm_loc_t *loc);
/* Restore entry e from storage onto this worker (open's slow path): claim,
 * read, allocate, register, update the directory. */
int gm_restore(const gm_entry_t *e);
/* At finalize: persist every owned object when PRAAS_OBJ_PERSIST_ON_EXIT
 * says so. */
void gm_persist_on_exit(void);
/* Close the storage handle. */
void gm_storage_close(void);

/* ---- view.c ---- */

/* Follow the process's view (a thread long-polling the control plane):
 * started by praas_init when there is a control plane, stopped by
 * praas_finalize after its barrier. */
int gm_view_start(void);
void gm_view_stop(void);
/* Enter an access to rank owner: counted, so that a view change can drain
 * the accesses to ranks that go. 0 when entered (call gm_view_exit after);
 * PRAAS_ERR_AGAIN after waiting for a change that removes owner to be
 * published (the location must be refreshed first); PRAAS_ERR_TIMEOUT. */
int gm_view_enter(int owner);
void gm_view_exit(int owner);
/* Whether rank was reported dead during this run. */
int gm_view_failed(int rank);
/* The member of the view at hash modulo the number of members. */
int gm_view_place(uint64_t hash);
/* The number of the view this worker is in. */
uint64_t gm_view_number(void);

#endif /* PRAAS_GMEM_GMEM_H */
