#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"

int core_log_level = CORE_LOG_NONE;
static char log_prefix[64] = "praas";

static const char *const level_names[] = {"none", "error", "warn", "info", "debug"};

int core_log_parse(const char *name)
{
    for (int i = 0; i < (int)(sizeof(level_names) / sizeof(level_names[0])); i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

void core_log_setup(int level, const char *prefix)
{
    core_log_level = level;
    if (prefix)
        snprintf(log_prefix, sizeof(log_prefix), "%s", prefix);
}

void core_log_write(int level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    int n;

    n = snprintf(line, sizeof(line), "%s: %s: ", log_prefix, level_names[level]);
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    /* One write per line, so lines of several threads do not interleave. */
    fprintf(stderr, "%s\n", line);
}
