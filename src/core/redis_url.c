#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/redis_url.h"

static int bad_url(const char *what, const char *url, const char *why)
{
    return core_err(PRAAS_ERR_INVALID, "%s '%s' is malformed: %s (expected redis://HOST:PORT[/DB])",
                    what, url, why);
}

/* A decimal number of 1 to max_digits digits and nothing else, or -1. */
static long parse_num(const char *s, const char *end, int max_digits)
{
    long v = 0;

    if (s == end || end - s > max_digits)
        return -1;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

int core_redis_url_parse(const char *url, const char *what, core_redis_addr_t *addr_p)
{
    const char *p = url + strlen("redis://"), *host, *host_end, *port;
    core_redis_addr_t a = {.db = 0};
    char why[384];
    long v;

    if (strncmp(url, "redis://", 8) != 0)
        return bad_url(what, url, "it does not start with redis://");
    if (*p == '[') {
        host = ++p;
        p += strspn(p, "0123456789abcdefABCDEF:.");
        if (*p != ']')
            return bad_url(what, url, "the IPv6 address has no closing ']' or a bad character");
        host_end = p++;
    } else {
        host = p;
        p += strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._");
        host_end = p;
    }
    if (host_end == host)
        return bad_url(what, url, "the host is empty");
    if ((size_t)(host_end - host) >= sizeof(a.host))
        return bad_url(what, url, "the host is too long");
    if (*p != ':') {
        if (*p == '\0')
            return bad_url(what, url, "the port is missing");
        snprintf(why, sizeof(why), "character '%c' at offset %zu is not allowed in a host", *p,
                 (size_t)(p - url));
        return bad_url(what, url, why);
    }
    port = ++p;
    p += strcspn(p, "/");
    v = parse_num(port, p, 5);
    if (v < 1 || v > 65535) {
        snprintf(why, sizeof(why), "port '%.*s' is not a number in 1..65535", (int)(p - port),
                 port);
        return bad_url(what, url, why);
    }
    a.port = (int)v;
    if (*p == '/') {
        v = parse_num(p + 1, p + 1 + strlen(p + 1), 9);
        if (v < 0) {
            snprintf(why, sizeof(why), "database '%s' is not a number", p + 1);
            return bad_url(what, url, why);
        }
        a.db = (int)v;
    }
    memcpy(a.host, host, (size_t)(host_end - host));
    a.host[host_end - host] = '\0';
    *addr_p = a;
    return 0;
}
