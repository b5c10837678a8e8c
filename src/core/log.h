/*
 * Logging. The library prints nothing unless asked (PRAAS_LOG=error|warn|
 * info|debug); messages go to stderr, prefixed with the rank.
 */
#ifndef PRAAS_CORE_LOG_H
#define PRAAS_CORE_LOG_H

enum core_log_level {
    CORE_LOG_NONE = 0,
    CORE_LOG_ERROR,
    CORE_LOG_WARN,
    CORE_LOG_INFO,
    CORE_LOG_DEBUG,
};

extern int core_log_level;

/* Parse a level name ("none", "error", ...). Returns the level or -1. */
int core_log_parse(const char *name);

/* Set the level and the prefix shown on each line ("praas[3]"). */
void core_log_setup(int level, const char *prefix);

void core_log_write(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define core_log(level, ...)                       \
    do {                                           \
        if ((level) <= core_log_level)             \
            core_log_write((level), __VA_ARGS__);  \
    } while (0)

#endif /* PRAAS_CORE_LOG_H */
