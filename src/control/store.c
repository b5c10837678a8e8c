/*
 * Choosing a store backend by URL, and freeing what the store returns.
 */
#include <stdlib.h>
#include <string.h>

#include "control/store.h"
#include "core/error.h"

int cp_store_open(const char *url, struct cp_store **st_p)
{
    if (url == NULL || url[0] == '\0' || strcmp(url, "memory") == 0)
        return cp_store_mem_open(st_p);
    if (strncmp(url, "redis://", 8) == 0)
        return cp_store_redis_open(url, st_p);
    return core_err(PRAAS_ERR_INVALID,
                    "store '%s' is neither 'memory' nor a redis://HOST:PORT[/DB] URL", url);
}

void cp_kv_free(struct cp_kv *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(items[i].key);
        free(items[i].val);
    }
    free(items);
}

void cp_strv_free(char **strv, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(strv[i]);
    free(strv);
}
