/*
 * The one parser of Redis URLs, shared by the control plane's store and
 * the storage backend.
 */
#ifndef PRAAS_CORE_REDIS_URL_H
#define PRAAS_CORE_REDIS_URL_H

typedef struct core_redis_addr {
    char host[256]; /* name, IPv4 address, or IPv6 address without brackets */
    int port;       /* 1..65535 */
    int db;         /* 0 when the URL names none */
} core_redis_addr_t;

/* Parse "redis://HOST:PORT[/DB]" strictly: HOST is a name or IPv4 address
 * ([A-Za-z0-9._-]) or a bracketed IPv6 address, PORT 1 to 65535, DB a
 * decimal number; nothing else (no user, no trailing text). On a bad URL
 * returns PRAAS_ERR_INVALID with a message that starts with `what` ("store
 * URL", "storage URL") and names the problem. Writes *addr_p only on
 * success. Thread-safe. */
int core_redis_url_parse(const char *url, const char *what, core_redis_addr_t *addr_p);

#endif /* PRAAS_CORE_REDIS_URL_H */
