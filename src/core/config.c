#include <errno.h>
#include <stdlib.h>

#include "core/config.h"
#include "core/error.h"

static int cfg_parse_STR(const char *var, const char *text, const char **out, long lo, long hi)
{
    (void)var, (void)lo, (void)hi;
    *out = text;
    return 0;
}

static int cfg_parse_INT(const char *var, const char *text, long *out, long lo, long hi)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(text, &end, 10);
    if (errno || end == text || *end != '\0')
        return core_err(PRAAS_ERR_INVALID, "%s=%s is not an integer", var, text);
    if (v < lo || v > hi)
        return core_err(PRAAS_ERR_INVALID, "%s=%ld is outside [%ld, %ld]", var, v, lo, hi);
    *out = v;
    return 0;
}

int core_cfg_load(core_cfg_t *cfg)
{
    core_cfg_t tmp;
    const char *text;
    int rc;

#define CORE_CFG_LOAD_(field, var, type, def, lo, hi, help)                   \
    tmp.field = def;                                                          \
    text = getenv(#var);                                                      \
    if (text && *text) {                                                      \
        rc = cfg_parse_##type(#var, text, &tmp.field, lo, hi);                \
        if (rc)                                                               \
            return rc;                                                        \
    }
    CORE_CONFIG_TABLE(CORE_CFG_LOAD_)
#undef CORE_CFG_LOAD_
    *cfg = tmp;
    return 0;
}

void core_cfg_help(FILE *out)
{
#define CORE_CFG_HELP_STR(var, def, help) fprintf(out, "  %-26s %s (default: \"%s\")\n", #var, help, (const char *)(def));
#define CORE_CFG_HELP_INT(var, def, help) fprintf(out, "  %-26s %s (default: %ld)\n", #var, help, (long)(def));
#define CORE_CFG_HELP_(field, var, type, def, lo, hi, help) CORE_CFG_HELP_##type(var, def, help)
    CORE_CONFIG_TABLE(CORE_CFG_HELP_)
#undef CORE_CFG_HELP_
}

int core_parse_bytes(const char *text, size_t min, size_t max, size_t *val_p)
{
    unsigned long long v, mult = 1;
    char *end;

    if (*text < '0' || *text > '9')
        goto bad;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno)
        goto bad;
    switch (*end) {
    case 'K': case 'k': mult = 1ull << 10; end++; break;
    case 'M': case 'm': mult = 1ull << 20; end++; break;
    case 'G': case 'g': mult = 1ull << 30; end++; break;
    default: break;
    }
    if (*end || v > max / mult || v * mult < min)
        goto bad;
    *val_p = (size_t)(v * mult);
    return 0;
bad:
    return core_err(PRAAS_ERR_INVALID, "'%s' is not a byte count from %zu to %zu (digits with "
                    "an optional K, M or G)", text, min, max);
}
