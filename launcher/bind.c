/*
 * Placement with hwloc (DESIGN.md decision 10): rank r is bound round-robin
 * to core (r mod cores) or NUMA node (r mod nodes), counting only places
 * the launcher itself may run on. hwloc already leaves out CPUs a cgroup
 * forbids; the topology is also restricted to the launcher's own affinity,
 * so a launcher started under taskset binds its workers inside that set,
 * as users of taskset expect.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <hwloc.h>

#include "launcher/launcher.h"

struct lr_bind {
    enum lr_bind_kind kind;
    hwloc_topology_t topo;
    hwloc_obj_t *places; /* cores or NUMA nodes with a non-empty cpuset */
    int nplaces;
};

/* Restrict topo to the CPUs this process may run on. A failure to read
 * them leaves the topology whole; -1 only if restricting broke it. */
static int bind_restrict_to_self(hwloc_topology_t topo)
{
    hwloc_bitmap_t mine = hwloc_bitmap_alloc();
    int rc = 0;

    if (!mine)
        return 0;
    if (hwloc_get_cpubind(topo, mine, HWLOC_CPUBIND_PROCESS) == 0 && !hwloc_bitmap_iszero(mine) &&
        hwloc_topology_restrict(topo, mine, 0) < 0 && errno == ENOMEM)
        rc = -1;
    hwloc_bitmap_free(mine);
    return rc;
}

int lr_bind_open(enum lr_bind_kind kind, lr_bind_t **bind_p, char *err, size_t errlen)
{
    lr_bind_t *b;
    hwloc_obj_type_t type = kind == LR_BIND_NUMA ? HWLOC_OBJ_NUMANODE : HWLOC_OBJ_CORE;
    int n;

    b = calloc(1, sizeof(*b));
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    b->kind = kind;
    if (kind == LR_BIND_NONE) {
        *bind_p = b;
        return 0;
    }
    if (hwloc_topology_init(&b->topo) < 0) {
        snprintf(err, errlen, "hwloc_topology_init failed");
        goto err_free;
    }
    if (hwloc_topology_load(b->topo) < 0) {
        snprintf(err, errlen, "cannot load the machine's topology with hwloc");
        goto err_topo;
    }
    if (bind_restrict_to_self(b->topo) < 0) {
        snprintf(err, errlen, "cannot restrict the topology to the launcher's CPUs");
        goto err_topo;
    }
    n = hwloc_get_nbobjs_by_type(b->topo, type);
    b->places = calloc(n > 0 ? (size_t)n : 1, sizeof(*b->places));
    if (!b->places) {
        snprintf(err, errlen, "out of memory");
        goto err_topo;
    }
    for (int i = 0; i < n; i++) {
        hwloc_obj_t obj = hwloc_get_obj_by_type(b->topo, type, (unsigned)i);
        /* A memory-only NUMA node (HBM, CXL) has no CPU to bind to. */
        if (obj && obj->cpuset && !hwloc_bitmap_iszero(obj->cpuset))
            b->places[b->nplaces++] = obj;
    }
    if (b->nplaces == 0) {
        snprintf(err, errlen, "hwloc finds no %s with CPUs to bind to",
                 kind == LR_BIND_NUMA ? "NUMA node" : "core");
        goto err_places;
    }
    *bind_p = b;
    return 0;

err_places:
    free(b->places);
err_topo:
    hwloc_topology_destroy(b->topo);
err_free:
    free(b);
    return -1;
}

int lr_bind_count(const lr_bind_t *bind)
{
    return bind->nplaces;
}

void lr_bind_describe(const lr_bind_t *bind, int rank, char *buf, size_t len)
{
    hwloc_obj_t obj;
    char cpus[256];

    if (bind->kind == LR_BIND_NONE) {
        snprintf(buf, len, "not bound");
        return;
    }
    obj = bind->places[rank % bind->nplaces];
    hwloc_bitmap_list_snprintf(cpus, sizeof(cpus), obj->cpuset);
    snprintf(buf, len, "%s %u (cpus %s)", bind->kind == LR_BIND_NUMA ? "NUMA node" : "core",
             obj->logical_index, cpus);
}

int lr_bind_apply(const lr_bind_t *bind, int rank)
{
    if (bind->kind == LR_BIND_NONE)
        return 0;
    /* Every thread of the process (right after fork there is one); the
     * threads the program starts inherit the binding. */
    if (hwloc_set_cpubind(bind->topo, bind->places[rank % bind->nplaces]->cpuset,
                          HWLOC_CPUBIND_PROCESS) < 0)
        return errno ? errno : EINVAL;
    return 0;
}

void lr_bind_close(lr_bind_t *bind)
{
    if (!bind)
        return;
    if (bind->kind != LR_BIND_NONE) {
        free(bind->places);
        hwloc_topology_destroy(bind->topo);
    }
    free(bind);
}
