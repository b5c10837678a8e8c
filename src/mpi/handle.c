/*
 * Handle tables: from an integer MPI handle to the object behind it.
 *
 * Each kind has a table of pages that are allocated once and never moved,
 * so a lookup reads two pointers without a lock (the hot path: every put
 * looks its window up). Creation and deletion take the table's mutex.
 * Freed indices are reused, lowest first.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "mpi/pm.h"

#define PM_PAGE 1024
#define PM_PAGES 4096
#define PM_KINDS 0x20

typedef struct pm_table {
    pthread_mutex_t lock;
    _Atomic(void *) *pages[PM_PAGES];
    int next; /* no index at or above next was ever handed out */
    int hint; /* no index below hint (and above the predefined ones) is free */
} pm_table_t;

static pm_table_t pm_tables[PM_KINDS];
static pthread_once_t pm_tables_once = PTHREAD_ONCE_INIT;

static void pm_tables_init(void)
{
    for (int k = 0; k < PM_KINDS; k++) {
        pthread_mutex_init(&pm_tables[k].lock, NULL);
        pm_tables[k].next = PM_FIRST_DYNAMIC;
        pm_tables[k].hint = PM_FIRST_DYNAMIC;
    }
}

/* The slot of index, allocating its page if asked. */
static _Atomic(void *) *pm_slot(pm_table_t *t, int index, int create)
{
    int p = index / PM_PAGE;
    _Atomic(void *) *page;

    if (index < 0 || p >= PM_PAGES)
        return NULL;
    page = __atomic_load_n(&t->pages[p], __ATOMIC_ACQUIRE);
    if (!page && create) {
        page = calloc(PM_PAGE, sizeof(*page));
        if (!page)
            return NULL;
        __atomic_store_n(&t->pages[p], page, __ATOMIC_RELEASE);
    }
    return page ? &page[index % PM_PAGE] : NULL;
}

void pm_handle_set(pm_kind_t kind, int index, void *obj)
{
    pm_table_t *t = &pm_tables[kind];
    _Atomic(void *) *s;

    pthread_once(&pm_tables_once, pm_tables_init);
    pthread_mutex_lock(&t->lock);
    s = pm_slot(t, index, 1);
    if (s)
        atomic_store(s, obj);
    pthread_mutex_unlock(&t->lock);
}

int pm_handle_new(pm_kind_t kind, void *obj, int *handle_p)
{
    pm_table_t *t = &pm_tables[kind];
    _Atomic(void *) *s = NULL;
    int i;

    pthread_once(&pm_tables_once, pm_tables_init);
    pthread_mutex_lock(&t->lock);
    for (i = t->hint; i < t->next; i++) {
        s = pm_slot(t, i, 0);
        if (s && !atomic_load(s))
            break;
    }
    if (i == t->next) {
        s = pm_slot(t, i, 1);
        if (s)
            t->next++;
    }
    if (s) {
        atomic_store(s, obj);
        t->hint = i + 1;
    }
    pthread_mutex_unlock(&t->lock);
    if (!s)
        return MPI_ERR_NO_MEM;
    *handle_p = PM_HANDLE(kind, i);
    return 0;
}

void *pm_handle_get(pm_kind_t kind, int handle)
{
    _Atomic(void *) *s;

    if (PM_KIND(handle) != (int)kind || PM_INDEX(handle) == 0)
        return NULL;
    s = pm_slot(&pm_tables[kind], PM_INDEX(handle), 0);
    return s ? atomic_load(s) : NULL;
}

void pm_handle_del(pm_kind_t kind, int handle)
{
    pm_table_t *t = &pm_tables[kind];
    _Atomic(void *) *s;

    if (PM_KIND(handle) != (int)kind)
        return;
    pthread_mutex_lock(&t->lock);
    s = pm_slot(t, PM_INDEX(handle), 0);
    if (s && PM_INDEX(handle) >= PM_FIRST_DYNAMIC) {
        atomic_store(s, NULL);
        if (PM_INDEX(handle) < t->hint)
            t->hint = PM_INDEX(handle);
    }
    pthread_mutex_unlock(&t->lock);
}
