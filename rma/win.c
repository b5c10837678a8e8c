/*
 * Window creation and destruction: segments, the choice of path (shared
 * memory or transport, see rma.h), the collective exchange of what every
 * rank must know of every target, and the table that maps window ids to
 * windows for the target side of messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "rma/rma.h"

/* Windows alive at once; a slot is reused when its window is freed. */
#define RMA_MAX_WINDOWS 1024u
/* Bytes one rank contributes to the creation exchange. */
#define RMA_XKEYS 1536u

static praas_win_t _Atomic rma_table[RMA_MAX_WINDOWS];
static uint32_t rma_next_id;

/* What one rank tells the others when a window is created. */
typedef struct rma_xinfo {
    uint64_t node;      /* same value on the same node */
    uint32_t id;        /* the id this rank proposes (the window takes the largest) */
    uint32_t pad_;
    uint64_t size;
    int32_t disp_unit;
    int32_t flavor;
    uint32_t key_len;   /* packed key of the segment */
    uint32_t dkey_len;  /* packed key of created windows' user memory */
    char shm[64];       /* name of the rank's shared-memory segment, or "" */
} rma_xinfo_t;

typedef struct rma_xkeys {
    uint32_t key_len, dkey_len;
    unsigned char keys[RMA_XKEYS];
} rma_xkeys_t;

praas_win_t rma_win_lookup(uint32_t id)
{
    praas_win_t win = atomic_load_explicit(&rma_table[id % RMA_MAX_WINDOWS],
                                           memory_order_acquire);
    return win && win->id == id ? win : NULL;
}

unsigned char *rma_win_locate(praas_win_t win, uint64_t offset, size_t bytes)
{
    unsigned char *p = NULL;

    if (win->flavor != PRAAS_WIN_FLAVOR_DYNAMIC)
        return offset <= win->bytes && bytes <= win->bytes - offset
                   ? (unsigned char *)win->base + offset
                   : NULL;
    pthread_mutex_lock(&win->regions_lock);
    for (int i = 0; i < win->nregions; i++) {
        rma_region_t *r = &win->regions[i];
        if (offset >= r->base && offset - r->base <= r->size &&
            bytes <= r->size - (offset - r->base)) {
            p = (unsigned char *)(uintptr_t)offset;
            break;
        }
    }
    pthread_mutex_unlock(&win->regions_lock);
    return p;
}

const char *rma_win_name(praas_win_t win)
{
    static _Thread_local char name[32];
    snprintf(name, sizeof(name), "window %u", win->id);
    return name;
}

static size_t rma_page_round(size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return (n + page - 1) / page * page;
}

/* An id of this node: the boot id names the kernel instance, so two
 * containers of one host that share /dev/shm compare equal only if they
 * also share a host name. */
static uint64_t rma_node_id(void)
{
    char buf[320] = "";
    uint64_t h = 1469598103934665603ull;
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    size_t n = 0;

    if (f) {
        n = fread(buf, 1, 64, f);
        fclose(f);
    }
    gethostname(buf + n, sizeof(buf) - n - 1);
    for (const char *p = buf; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

/* Create and map a shared-memory segment of len bytes named name. */
static int rma_seg_create(const char *name, size_t len, unsigned char **seg_p)
{
    void *p;
    int fd;

    fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0)
        return core_err(PRAAS_ERR_IO, "cannot create shared memory %s: %s", name,
                        strerror(errno));
    if (ftruncate(fd, (off_t)len) < 0) {
        int e = errno;
        close(fd);
        shm_unlink(name);
        return core_err(PRAAS_ERR_NOMEM, "cannot size shared memory %s to %zu bytes: %s", name,
                        len, strerror(e));
    }
    p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        shm_unlink(name);
        return core_err(PRAAS_ERR_NOMEM, "cannot map %zu bytes of %s: %s", len, name,
                        strerror(errno));
    }
    *seg_p = p;
    return 0;
}

static int rma_seg_map(const char *name, size_t len, unsigned char **seg_p)
{
    void *p;
    int fd;

    fd = shm_open(name, O_RDWR, 0);
    if (fd < 0)
        return core_err(PRAAS_ERR_IO, "cannot open a peer's shared memory %s: %s", name,
                        strerror(errno));
    p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return core_err(PRAAS_ERR_NOMEM, "cannot map a peer's %zu bytes of %s: %s", len, name,
                        strerror(errno));
    *seg_p = p;
    return 0;
}

/* The creation exchange among the window's members: all[r] for every
 * member's world rank r (entries of other ranks are left alone). */
static int rma_xchg(praas_win_t win, const void *mine, size_t len, void *all)
{
    unsigned char *tmp;
    int rc;

    if (!win->grp.exchange)
        return core_exchange_in(win->view, mine, len, all, (int)core_cfg()->op_timeout_ms);
    tmp = malloc(len * (size_t)win->nmemb + 1);
    if (!tmp)
        return core_err(PRAAS_ERR_NOMEM, "no memory for an exchange of %d x %zu bytes",
                        win->nmemb, len);
    rc = win->grp.exchange(win->grp.arg, mine, len, tmp);
    for (int i = 0; i < win->nmemb && !rc; i++)
        memcpy((unsigned char *)all + (size_t)win->memb[i] * len, tmp + (size_t)i * len, len);
    free(tmp);
    return rc;
}

int rma_win_barrier(praas_win_t win)
{
    if (!win->grp.exchange)
        return core_exchange_in(win->view, NULL, 0, NULL, (int)core_cfg()->op_timeout_ms);
    return win->grp.exchange(win->grp.arg, NULL, 0, NULL);
}

static int rma_pack_key(tp_ctx_t *tp, tp_mr_t *mr, unsigned char *buf, size_t room,
                        uint32_t *len_p)
{
    size_t len = room;
    int rc = tp_mr_pack(tp, mr, buf, &len);

    if (rc)
        return rc;
    *len_p = (uint32_t)len;
    return 0;
}

/* Register this rank's memory and give every rank every target's keys. */
static int rma_win_exchange_keys(praas_win_t win, tp_ctx_t *tp)
{
    rma_xkeys_t mine = {0}, *all;
    int rc;

    rc = tp_mr_reg(tp, win->seg, win->seg_len, &win->seg_mr);
    if (rc)
        return rc;
    rc = rma_pack_key(tp, win->seg_mr, mine.keys, RMA_XKEYS, &mine.key_len);
    if (rc)
        return rc;
    if (win->flavor == PRAAS_WIN_FLAVOR_CREATE && win->bytes) {
        rc = tp_mr_reg(tp, win->base, win->bytes, &win->data_mr);
        if (!rc)
            rc = rma_pack_key(tp, win->data_mr, mine.keys + mine.key_len,
                              RMA_XKEYS - mine.key_len, &mine.dkey_len);
        if (rc)
            return rc;
    }
    all = malloc((size_t)win->size * sizeof(*all));
    if (!all)
        return core_err(PRAAS_ERR_NOMEM, "no memory for %d keys", win->size);
    rc = rma_xchg(win, &mine, sizeof(mine), all);
    for (int i = 0; i < win->nmemb && !rc; i++) {
        int r = rma_memb(win, i);
        rma_target_t *t = &win->targets[r];
        rc = tp_rkey_unpack(tp, r, all[r].keys, all[r].key_len, &t->rkey);
        if (!rc && all[r].dkey_len)
            rc = tp_rkey_unpack(tp, r, all[r].keys + all[r].key_len, all[r].dkey_len,
                                &t->data_rkey);
        t->data_off = RMA_CTL_SIZE;
    }
    free(all);
    return rc;
}

/* Map every peer's segment (the direct path). Shared windows are one
 * segment of the first member: control blocks first, then every member's
 * data, in window order. */
static int rma_win_map_peers(praas_win_t win, const rma_xinfo_t *info)
{
    int rc = 0;

    for (int i = 0; i < win->nmemb && !rc; i++) {
        int r = rma_memb(win, i);
        rma_target_t *t = &win->targets[r];
        unsigned char *seg = win->seg;
        if (win->flavor == PRAAS_WIN_FLAVOR_SHARED) {
            size_t off = (size_t)win->nmemb * RMA_CTL_SIZE;
            for (int q = 0; q < i; q++)
                off += info[rma_memb(win, q)].size;
            if (win->me != 0 && i == 0)
                rc = rma_seg_map(info[r].shm, win->seg_len, &win->seg);
            seg = win->seg;
            t->ctl = (rma_ctl_t *)(seg + (size_t)i * RMA_CTL_SIZE);
            t->base = seg + off;
            continue;
        }
        if (r != win->rank)
            rc = rma_seg_map(info[r].shm, RMA_CTL_SIZE + rma_page_round(info[r].size), &seg);
        if (!rc) {
            t->ctl = (rma_ctl_t *)seg;
            t->base = seg + RMA_CTL_SIZE;
        }
    }
    if (!rc && win->flavor == PRAAS_WIN_FLAVOR_SHARED) {
        win->ctl = win->targets[win->rank].ctl;
        win->base = win->targets[win->rank].base;
    }
    return rc;
}

static void rma_win_release(praas_win_t win)
{
    tp_ctx_t *tp = core_tp();

    for (int r = 0; win->targets && r < win->size; r++) {
        rma_target_t *t = &win->targets[r];
        if (t->rkey)
            tp_rkey_release(tp, t->rkey);
        if (t->data_rkey)
            tp_rkey_release(tp, t->data_rkey);
        if (win->direct && win->flavor != PRAAS_WIN_FLAVOR_SHARED && r != win->rank && t->ctl)
            munmap(t->ctl, RMA_CTL_SIZE + rma_page_round(t->size));
    }
    if (win->seg_mr)
        tp_mr_dereg(tp, win->seg_mr);
    if (win->data_mr)
        tp_mr_dereg(tp, win->data_mr);
    if (win->seg)
        munmap(win->seg, win->seg_len);
    free(win->targets);
    if (!win->shm_sync) {
        free(win->posts);
        free(win->completes);
    }
    free(win->post_ranks);
    free(win->start_ranks);
    free(win->regions);
    free(win->memb);
    pthread_mutex_destroy(&win->regions_lock);
    free(win);
}

/* Claim the table slot of win->id. */
static int rma_win_register(praas_win_t win)
{
    praas_win_t expected = NULL;

    if (!atomic_compare_exchange_strong(&rma_table[win->id % RMA_MAX_WINDOWS], &expected, win))
        return core_err(PRAAS_ERR_NOMEM, "too many windows: %u are alive", RMA_MAX_WINDOWS);
    return 0;
}

static void rma_win_unregister(praas_win_t win)
{
    praas_win_t expected = win;
    atomic_compare_exchange_strong(&rma_table[win->id % RMA_MAX_WINDOWS], &expected, NULL);
}

/* Make win span the members of the view installed (g NULL: the
 * world-level API), as one unit of exchanges (core_exchange_begin, which
 * the caller ends): in the starting view of a worker that did not join,
 * the world (memb NULL); else a group of the view's members in ascending
 * world ranks, targets[] sized for every rank slot. */
static int rma_win_over_view(praas_win_t win)
{
    int n = 0, rc;

    rc = core_exchange_begin(&win->view, (int)core_cfg()->op_timeout_ms);
    if (rc)
        return rc;
    if (win->view == 0 && !core_joined())
        return 0;
    win->size = core_world_max();
    win->memb = malloc(sizeof(int) * (size_t)win->size);
    if (!win->memb)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a window of %d ranks", win->size);
    rc = core_view_members(win->memb, win->size, &n);
    if (rc)
        return rc;
    win->nmemb = n;
    win->me = -1;
    for (int i = 0; i < n; i++)
        if (win->memb[i] == win->rank)
            win->me = i;
    return 0;
}

/* Everything the creating calls share. base is the user's memory for
 * created windows and ignored otherwise; g is NULL for the world-level
 * API (the members of the view installed). */
static int rma_win_new(const rma_group_t *g, praas_win_flavor_t flavor, void *base, size_t size,
                       int disp_unit, praas_win_t *win_p)
{
    const core_cfg_t *cfg = core_cfg();
    tp_ctx_t *tp = core_tp();
    rma_xinfo_t mine = {0}, *info = NULL;
    int rc, same_node = 1, unit = 0;
    praas_win_t win;

    if (!tp)
        return core_err(PRAAS_ERR_STATE, "praas_init() has not been called");
    if (disp_unit < 1)
        return core_err(PRAAS_ERR_INVALID, "disp_unit %d: it must be at least 1", disp_unit);
    if (size > ((size_t)1 << 46))
        return core_err(PRAAS_ERR_INVALID, "window size %zu is too large", size);
    if (flavor == PRAAS_WIN_FLAVOR_CREATE && size && !base)
        return core_err(PRAAS_ERR_INVALID, "praas_win_create of %zu bytes at NULL", size);
    rc = rma_am_init(tp);
    if (rc)
        return rc;
    win = calloc(1, sizeof(*win));
    if (!win)
        return core_err(PRAAS_ERR_NOMEM, "no memory for a window");
    /* Ids: each rank proposes one above the last it used, the window takes
     * the largest proposal. World windows are created by all in the same
     * order, so the proposals agree; a group window moves its members'
     * counters ahead, and the next world window catches the others up. Ids
     * only grow at a rank, so its windows' ids stay distinct. */
    mine.id = ++rma_next_id;
    win->id = mine.id;
    win->rank = (int)cfg->rank;
    win->size = (int)cfg->size;
    win->nmemb = win->size;
    win->me = win->rank;
    if (!g) {
        unit = 1;
        rc = rma_win_over_view(win);
        if (rc)
            goto err_win;
    } else {
        win->grp = *g;
        win->nmemb = g->n;
        win->memb = malloc(sizeof(int) * (size_t)(g->n ? g->n : 1));
        if (!win->memb) {
            rc = core_err(PRAAS_ERR_NOMEM, "no memory for a window of %d ranks", g->n);
            goto err_win;
        }
        win->me = -1;
        for (int i = 0; i < g->n; i++) {
            win->memb[i] = g->ranks[i];
            if (g->ranks[i] == win->rank)
                win->me = i;
        }
    }
    win->flavor = flavor;
    win->bytes = size;
    win->disp_unit = disp_unit;
    tp_comp_init(&win->comp);
    pthread_mutex_init(&win->regions_lock, NULL);
    if (win->me < 0) {
        rc = core_err(PRAAS_ERR_INVALID, "a window over a group that leaves out this worker");
        goto err_win;
    }
    win->targets = calloc((size_t)win->size, sizeof(*win->targets));
    win->posts = calloc((size_t)win->size, sizeof(*win->posts));
    win->completes = calloc((size_t)win->size, sizeof(*win->completes));
    info = calloc((size_t)win->size, sizeof(*info));
    if (!win->targets || !win->posts || !win->completes || !info) {
        rc = core_err(PRAAS_ERR_NOMEM, "no memory for a window of %d ranks", win->size);
        goto err_win;
    }

    /* Round 1: where everyone is and what they offer. */
    mine.node = rma_node_id();
    mine.size = size;
    mine.disp_unit = disp_unit;
    mine.flavor = flavor;
    if (flavor == PRAAS_WIN_FLAVOR_ALLOCATE || flavor == PRAAS_WIN_FLAVOR_SHARED)
        snprintf(mine.shm, sizeof(mine.shm), "/praas.%s.%u.%d",
                 *cfg->process ? cfg->process : "local", win->id, win->rank);
    rc = rma_xchg(win, &mine, sizeof(mine), info);
    if (rc)
        goto err_win;
    for (int i = 0; i < win->nmemb; i++) {
        int r = rma_memb(win, i);
        if (info[r].id > win->id)
            win->id = info[r].id;
        win->targets[r].size = info[r].size;
        win->targets[r].disp_unit = info[r].disp_unit;
        same_node &= info[r].node == mine.node;
    }
    if (flavor == PRAAS_WIN_FLAVOR_SHARED && !same_node) {
        rc = core_err(PRAAS_ERR_NOT_SUPPORTED,
                      "praas_win_allocate_shared needs every worker on one node");
        goto err_win;
    }
    if (win->id > rma_next_id)
        rma_next_id = win->id;
    win->direct = flavor == PRAAS_WIN_FLAVOR_SHARED ||
                  (flavor == PRAAS_WIN_FLAVOR_ALLOCATE && same_node && cfg->rma_shm);

    /* This rank's segment: control block, then the data of allocated
     * windows. A shared window's segment is the first member's and holds
     * everyone. */
    if (flavor == PRAAS_WIN_FLAVOR_SHARED) {
        win->seg_len = (size_t)win->nmemb * RMA_CTL_SIZE;
        for (int i = 0; i < win->nmemb; i++)
            win->seg_len += info[rma_memb(win, i)].size;
        win->seg_len = rma_page_round(win->seg_len);
        if (win->me == 0)
            rc = rma_seg_create(mine.shm, win->seg_len, &win->seg);
    } else if (flavor == PRAAS_WIN_FLAVOR_ALLOCATE) {
        win->seg_len = RMA_CTL_SIZE + rma_page_round(size);
        rc = rma_seg_create(mine.shm, win->seg_len, &win->seg);
        win->base = win->seg + RMA_CTL_SIZE;
    } else {
        win->seg_len = RMA_CTL_SIZE;
        win->seg = mmap(NULL, RMA_CTL_SIZE, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (win->seg == MAP_FAILED) {
            win->seg = NULL;
            rc = core_err(PRAAS_ERR_NOMEM, "cannot map a window's control block");
        }
        win->base = base;
    }
    if (rc)
        goto err_win;
    win->ctl = (rma_ctl_t *)win->seg;
    /* In the table before the last collective round: a peer that leaves
     * it first may send to this window at once. */
    rc = rma_win_register(win);
    if (rc)
        goto err_win;

    if (win->direct) {
        /* Everyone's segment exists after this barrier: map them, then let
         * each owner unlink its name once all have mapped it, so a crash
         * later leaves nothing behind in /dev/shm. */
        rc = rma_win_barrier(win);
        if (!rc)
            rc = rma_win_map_peers(win, info);
        if (!rc && win->size <= RMA_SHM_SYNC_MAX) {
            /* Notices become counters in the mapped control blocks. */
            free(win->posts);
            free(win->completes);
            win->posts = win->ctl->posts;
            win->completes = win->ctl->completes;
            win->shm_sync = 1;
        }
        if (!rc)
            rc = rma_win_barrier(win);
    } else {
        rc = rma_win_exchange_keys(win, tp);
    }
    if (*mine.shm && (flavor != PRAAS_WIN_FLAVOR_SHARED || win->me == 0))
        shm_unlink(mine.shm);
    if (rc)
        goto err_table;
    free(info);
    if (unit)
        core_exchange_end();
    core_log(CORE_LOG_DEBUG, "window %u: %zu bytes, disp_unit %d, %s path, %d members (view "
             "%llu)", win->id, size, disp_unit, win->direct ? "shared-memory" : "transport",
             win->nmemb, (unsigned long long)win->view);
    *win_p = win;
    return 0;

err_table:
    rma_win_unregister(win);
err_win:
    if (unit)
        core_exchange_end();
    if (*mine.shm && (flavor != PRAAS_WIN_FLAVOR_SHARED || win->me == 0))
        shm_unlink(mine.shm);
    free(info);
    rma_win_release(win);
    return rc;
}

PRAAS_API int praas_win_allocate(size_t size, int disp_unit, void *base_p, praas_win_t *win_p)
{
    praas_win_t win;
    int rc;

    if (!base_p || !win_p)
        return core_err(PRAAS_ERR_INVALID, "praas_win_allocate: NULL output argument");
    rc = rma_win_new(NULL, PRAAS_WIN_FLAVOR_ALLOCATE, NULL, size, disp_unit, &win);
    if (rc)
        return rc;
    *(void **)base_p = win->base;
    *win_p = win;
    return 0;
}

PRAAS_API int praas_win_allocate_shared(size_t size, int disp_unit, void *base_p,
                                        praas_win_t *win_p)
{
    praas_win_t win;
    int rc;

    if (!base_p || !win_p)
        return core_err(PRAAS_ERR_INVALID, "praas_win_allocate_shared: NULL output argument");
    rc = rma_win_new(NULL, PRAAS_WIN_FLAVOR_SHARED, NULL, size, disp_unit, &win);
    if (rc)
        return rc;
    *(void **)base_p = win->base;
    *win_p = win;
    return 0;
}

PRAAS_API int praas_win_create(void *base, size_t size, int disp_unit, praas_win_t *win_p)
{
    if (!win_p)
        return core_err(PRAAS_ERR_INVALID, "praas_win_create: NULL output argument");
    return rma_win_new(NULL, PRAAS_WIN_FLAVOR_CREATE, base, size, disp_unit, win_p);
}

PRAAS_API int praas_win_create_dynamic(praas_win_t *win_p)
{
    if (!win_p)
        return core_err(PRAAS_ERR_INVALID, "praas_win_create_dynamic: NULL output argument");
    return rma_win_new(NULL, PRAAS_WIN_FLAVOR_DYNAMIC, NULL, 0, 1, win_p);
}

int rma_win_new_group(const rma_group_t *g, praas_win_flavor_t flavor, void *base, size_t size,
                      int disp_unit, praas_win_t *win_p)
{
    if (!g || g->n < 1 || !g->ranks || !g->exchange || !win_p)
        return core_err(PRAAS_ERR_INVALID, "rma_win_new_group: no group or NULL output");
    for (int i = 0; i < g->n; i++)
        if (g->ranks[i] < 0 || g->ranks[i] >= core_world_max())
            return core_err(PRAAS_ERR_RANGE, "rma_win_new_group: member %d is world rank %d",
                            i, g->ranks[i]);
    return rma_win_new(g, flavor, base, size, disp_unit, win_p);
}

PRAAS_API int praas_win_attach(praas_win_t win, void *base, size_t size)
{
    uintptr_t b = (uintptr_t)base;
    int rc = 0;

    if (!win || win->flavor != PRAAS_WIN_FLAVOR_DYNAMIC)
        return core_err(PRAAS_ERR_INVALID, "praas_win_attach needs a dynamic window");
    if (!base || !size || b + size < b)
        return core_err(PRAAS_ERR_INVALID, "praas_win_attach of %zu bytes at %p", size, base);
    pthread_mutex_lock(&win->regions_lock);
    for (int i = 0; i < win->nregions && !rc; i++) {
        rma_region_t *r = &win->regions[i];
        if (b < r->base + r->size && r->base < b + size)
            rc = core_err(PRAAS_ERR_EXISTS,
                          "praas_win_attach: [%p, +%zu) overlaps a region attached to %s", base,
                          size, rma_win_name(win));
    }
    if (!rc && win->nregions == win->regions_cap) {
        int cap = win->regions_cap ? 2 * win->regions_cap : 8;
        rma_region_t *grown = realloc(win->regions, sizeof(*grown) * (size_t)cap);
        if (!grown)
            rc = core_err(PRAAS_ERR_NOMEM, "no memory to attach a region");
        else {
            win->regions = grown;
            win->regions_cap = cap;
        }
    }
    if (!rc)
        win->regions[win->nregions++] = (rma_region_t){b, size};
    pthread_mutex_unlock(&win->regions_lock);
    return rc;
}

PRAAS_API int praas_win_detach(praas_win_t win, const void *base)
{
    int rc;

    if (!win || win->flavor != PRAAS_WIN_FLAVOR_DYNAMIC)
        return core_err(PRAAS_ERR_INVALID, "praas_win_detach needs a dynamic window");
    rc = core_err(PRAAS_ERR_NOT_FOUND, "praas_win_detach: nothing is attached at %p to %s", base,
                  rma_win_name(win));
    pthread_mutex_lock(&win->regions_lock);
    for (int i = 0; i < win->nregions; i++) {
        if (win->regions[i].base == (uintptr_t)base) {
            win->regions[i] = win->regions[--win->nregions];
            rc = 0;
            core_err_clear();
            break;
        }
    }
    pthread_mutex_unlock(&win->regions_lock);
    return rc;
}

PRAAS_API int praas_win_shared_query(praas_win_t win, int rank, size_t *size_p,
                                     int *disp_unit_p, void *base_p)
{
    if (!win)
        return core_err(PRAAS_ERR_INVALID, "praas_win_shared_query: no window");
    if (!rma_is_memb(win, rank))
        return core_err(PRAAS_ERR_RANGE, "rank %d is outside %s of %d ranks", rank,
                        rma_win_name(win), win->nmemb);
    if (!win->direct)
        return core_err(PRAAS_ERR_NOT_SUPPORTED,
                        "%s is not in shared memory (it uses the transport)", rma_win_name(win));
    if (size_p)
        *size_p = win->targets[rank].size;
    if (disp_unit_p)
        *disp_unit_p = win->targets[rank].disp_unit;
    if (base_p)
        *(void **)base_p = win->targets[rank].base;
    return 0;
}

PRAAS_API int praas_win_free(praas_win_t *win_p)
{
    praas_win_t win;
    int rc;

    if (!win_p || !*win_p)
        return core_err(PRAAS_ERR_INVALID, "praas_win_free: no window");
    win = *win_p;
    if (win->locks_held || win->access == RMA_ACCESS_LOCK_ALL)
        return core_err(PRAAS_ERR_STATE, "%s is in a passive-target epoch: unlock first",
                        rma_win_name(win));
    if (win->access == RMA_ACCESS_PSCW || win->exposed)
        return core_err(PRAAS_ERR_STATE,
                        "%s is in a post/start epoch: complete and wait first",
                        rma_win_name(win));
    rc = rma_flush(win, -1, 1);
    if (rc)
        return rc;
    /* No rank may still be addressing our memory when it goes away. A
     * window of the world-level API whose view is gone has no barrier
     * left: every member sees the same (the view changes between the same
     * exchanges everywhere) and frees it here alone. */
    rc = rma_win_barrier(win);
    if (rc == PRAAS_ERR_STATE && !win->grp.exchange && win->view != core_view()) {
        core_log(CORE_LOG_DEBUG, "%s of view %llu freed without a barrier in view %llu",
                 rma_win_name(win), (unsigned long long)win->view,
                 (unsigned long long)core_view());
        core_err_clear();
        rc = 0;
    }
    if (rc)
        return rc;
    rma_win_unregister(win);
    rma_win_release(win);
    *win_p = PRAAS_WIN_NULL;
    return 0;
}

PRAAS_API int praas_win_base(praas_win_t win, void *base_p)
{
    if (!win || !base_p)
        return core_err(PRAAS_ERR_INVALID, "praas_win_base: NULL argument");
    *(void **)base_p = win->base;
    return 0;
}

PRAAS_API int praas_win_size(praas_win_t win, size_t *size_p)
{
    if (!win || !size_p)
        return core_err(PRAAS_ERR_INVALID, "praas_win_size: NULL argument");
    *size_p = win->bytes;
    return 0;
}

PRAAS_API int praas_win_disp_unit(praas_win_t win, int *disp_unit_p)
{
    if (!win || !disp_unit_p)
        return core_err(PRAAS_ERR_INVALID, "praas_win_disp_unit: NULL argument");
    *disp_unit_p = win->disp_unit;
    return 0;
}

PRAAS_API int praas_win_flavor(praas_win_t win, praas_win_flavor_t *flavor_p)
{
    if (!win || !flavor_p)
        return core_err(PRAAS_ERR_INVALID, "praas_win_flavor: NULL argument");
    *flavor_p = win->flavor;
    return 0;
}

PRAAS_API int praas_win_group_size(praas_win_t win, int *size_p)
{
    if (!win || !size_p)
        return core_err(PRAAS_ERR_INVALID, "praas_win_group_size: NULL argument");
    *size_p = win->nmemb;
    return 0;
}
