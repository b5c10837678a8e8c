/*
 * The HTTP side of the control plane: libmicrohttpd glue, request bodies,
 * start and stop. Routes live in routes.c and fence.c.
 *
 * MHD runs a thread per connection. The fence is a long poll that blocks
 * its handler; with a thread per connection that blocks only its own
 * client, so hundreds of waiters and ordinary requests proceed side by
 * side, and the code of a route stays straight-line. (MHD's suspend/resume
 * would save the threads at the cost of a state machine per waiter; the
 * number of ranks waiting on one control plane does not justify it yet.)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control/libraries.h"
#include "control/server.h"
#include "control/serverless.h"
#include "core/common.h"
#include "core/error.h"

#define CP_MAX_BODY_DEFAULT (1024 * 1024)
/* A chunked upload has no length to refuse up front: past max_body its
 * bytes are dropped, and past this many times max_body the connection is
 * cut rather than read to the end. */
#define CP_DISCARD_FACTOR 16
#define CP_CONNECTION_LIMIT 4096
#define CP_IDLE_TIMEOUT_S 300
#define CP_STOP_GRACE_MS 3000

/* The state of one request, MHD's con_cls. */
struct cp_req_state {
    struct MHD_Connection *conn;
    char *body;
    size_t len;
    size_t cap;
    size_t dropped;
    size_t limit; /* max_body, or max_payload on a raw route */
    int too_large;
    int answered;
    int status;
    uint64_t start_ns;
    char method[16];
    char path[160];
};

void cp_server_notify(struct praas_control *ctl)
{
    pthread_mutex_lock(&ctl->lock);
    ctl->generation++;
    pthread_cond_broadcast(&ctl->wake);
    pthread_mutex_unlock(&ctl->lock);
}

uint64_t cp_server_generation(struct praas_control *ctl)
{
    uint64_t g;

    pthread_mutex_lock(&ctl->lock);
    g = ctl->generation;
    pthread_mutex_unlock(&ctl->lock);
    return g;
}

static struct timespec cp_abstime(uint64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
                          .tv_nsec = (long)(ns % 1000000000u)};
    return ts;
}

int cp_server_wait(struct praas_control *ctl, uint64_t seen, uint64_t until_ns)
{
    struct timespec ts = cp_abstime(until_ns);
    int stopping;

    pthread_mutex_lock(&ctl->lock);
    while (!atomic_load(&ctl->stopping) && ctl->generation == seen &&
           core_now_ns() < until_ns)
        if (pthread_cond_timedwait(&ctl->wake, &ctl->lock, &ts) == ETIMEDOUT)
            break;
    stopping = atomic_load(&ctl->stopping);
    pthread_mutex_unlock(&ctl->lock);
    return stopping ? PRAAS_ERR_CANCELED : 0;
}

/* Whether the client of a waiting request has hung up: its socket reports
 * a hang-up or an error. Pending request bytes (a pipelined request) do
 * not count. */
static int cp_client_gone(void *arg)
{
    struct MHD_Connection *conn = arg;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct pollfd pfd;

    if (info == NULL)
        return 0;
    pfd.fd = info->connect_fd;
    pfd.events = POLLRDHUP;
    pfd.revents = 0;
    if (poll(&pfd, 1, 0) <= 0)
        return 0;
    return (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

/* Turn a reply into an HTTP response and queue it. */
static enum MHD_Result cp_send(struct praas_control *ctl, struct cp_req_state *rs,
                               struct cp_reply *rep)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;
    char *text;

    if (rep->status == 0) {
        cp_reply_clear(rep);
        return MHD_NO;
    }
    /* A reply whose JSON could not be built (no memory) still answers. */
    if (rep->body == NULL && !rep->raw_set)
        cp_reply_error(rep, 503, "no memory to build the reply");
    if (rep->raw_set) {
        /* A raw reply: MHD takes the buffer (an empty one is static). */
        resp = MHD_create_response_from_buffer(rep->raw_len, rep->raw_len ? rep->raw : "",
                                               rep->raw_len ? MHD_RESPMEM_MUST_FREE
                                                            : MHD_RESPMEM_PERSISTENT);
        if (resp == NULL) {
            cp_reply_clear(rep);
            return MHD_NO;
        }
        rep->raw = NULL;
        rep->raw_len = 0;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
        goto headers;
    }
    text = rep->body ? json_dumps(rep->body, JSON_COMPACT) : NULL;
    if (text == NULL)
        text = strdup("{\"error\":{\"status\":503,\"code\":\"unavailable\","
                      "\"message\":\"no memory to encode the reply\"}}");
    if (text == NULL) {
        cp_reply_clear(rep);
        return MHD_NO;
    }
    resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(text);
        cp_reply_clear(rep);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
headers:
    if (rep->headers) {
        const char *name;
        json_t *val;
        json_object_foreach(rep->headers, name, val)
            MHD_add_response_header(resp, name, json_string_value(val));
    }
    if (rep->allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rep->allow);
    rs->status = rep->status;
    rs->answered = 1;
    ret = MHD_queue_response(rs->conn, (unsigned)rep->status, resp);
    MHD_destroy_response(resp);
    cp_reply_clear(rep);
    return ret;
}

static enum MHD_Result cp_too_large(struct praas_control *ctl, struct cp_req_state *rs,
                                    const char *how)
{
    struct cp_reply rep = {0};

    cp_reply_error(&rep, 413, "the request body %s is larger than the limit of %zu bytes", how,
                   rs->limit);
    return cp_send(ctl, rs, &rep);
}

/* Keep a chunk of the body, or drop it once the body is over max_body. */
static int cp_body_append(struct praas_control *ctl, struct cp_req_state *rs, const char *data,
                          size_t n)
{
    (void)ctl;
    if (!rs->too_large && n > rs->limit - rs->len) {
        rs->too_large = 1;
        free(rs->body);
        rs->body = NULL;
        rs->dropped = rs->len;
        rs->len = rs->cap = 0;
    }
    if (rs->too_large) {
        rs->dropped += n;
        return rs->dropped / CP_DISCARD_FACTOR > rs->limit ? -1 : 0;
    }
    if (rs->len + n > rs->cap) {
        size_t cap = rs->cap ? rs->cap : 4096;
        char *grown;
        while (cap < rs->len + n)
            cap *= 2;
        cap = PRAAS_MIN(cap, rs->limit);
        grown = realloc(rs->body, cap);
        if (grown == NULL)
            return -1;
        rs->body = grown;
        rs->cap = cap;
    }
    memcpy(rs->body + rs->len, data, n);
    rs->len += n;
    return 0;
}

static const char *cp_query(void *arg, const char *name)
{
    return MHD_lookup_connection_value(arg, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result cp_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_data_size,
                                 void **con_cls)
{
    struct praas_control *ctl = cls;
    struct cp_req_state *rs = *con_cls;
    struct cp_request req;
    struct cp_reply rep = {0};

    if (rs == NULL) {
        const char *cl;
        rs = calloc(1, sizeof(*rs));
        if (rs == NULL)
            return MHD_NO;
        rs->conn = conn;
        rs->start_ns = core_now_ns();
        snprintf(rs->method, sizeof(rs->method), "%s", method);
        snprintf(rs->path, sizeof(rs->path), "%s", url);
        rs->limit = cp_route_body_limit(ctl, url);
        pthread_mutex_lock(&ctl->lock);
        ctl->active++;
        pthread_mutex_unlock(&ctl->lock);
        *con_cls = rs;
        /* With a declared length, refuse before reading a byte of the
         * body (MHD then closes the connection after the answer). */
        cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                         MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > rs->limit) {
            rs->too_large = 1;
            return cp_too_large(ctl, rs, "declared by Content-Length");
        }
        return MHD_YES;
    }
    if (rs->answered)
        return MHD_YES;
    if (*upload_data_size) {
        if (cp_body_append(ctl, rs, upload_data, *upload_data_size) < 0)
            return MHD_NO;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (rs->too_large)
        return cp_too_large(ctl, rs, "sent in chunks");

    req.method = method;
    req.path = url;
    req.body = rs->body;
    req.body_len = rs->len;
    req.client_gone = cp_client_gone;
    req.client_arg = conn;
    req.query = cp_query;
    cp_route(ctl, &req, &rep);
    return cp_send(ctl, rs, &rep);
}

/* Called by MHD when a request ends, answered or not: log it, free its
 * state, and let a stopping server know when nothing is in flight. */
static void cp_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct praas_control *ctl = cls;
    struct cp_req_state *rs = *con_cls;

    if (rs == NULL)
        return;
    if (ctl->log_requests) {
        double ms = (double)(core_now_ns() - rs->start_ns) / 1e6;
        if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
            fprintf(stderr, "praas-control: %s %s %d %.1f ms\n", rs->method, rs->path,
                    rs->status, ms);
        else
            fprintf(stderr, "praas-control: %s %s %d %.1f ms (connection ended early)\n",
                    rs->method, rs->path, rs->status, ms);
    }
    free(rs->body);
    free(rs);
    *con_cls = NULL;
    pthread_mutex_lock(&ctl->lock);
    if (--ctl->active == 0)
        pthread_cond_broadcast(&ctl->idle);
    pthread_mutex_unlock(&ctl->lock);
}

/* Resolve bind, open and bind a listening socket on port. Writes the
 * socket and the URL clients use. Returns 0, PRAAS_ERR_INVALID for an
 * address that does not resolve, PRAAS_ERR_IO for a socket error. */
static int cp_listen(const char *bind_addr, int port, int *fd_p, char *url, size_t url_size,
                     int *port_p)
{
    struct addrinfo hints = {0}, *ai;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char portstr[8], host[INET6_ADDRSTRLEN];
    int fd, one = 1, rc;

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(portstr, sizeof(portstr), "%d", port);
    rc = getaddrinfo(bind_addr, portstr, &hints, &ai);
    if (rc != 0)
        return core_err(PRAAS_ERR_INVALID, "bind address '%s' does not resolve: %s", bind_addr,
                        gai_strerror(rc));
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rc = core_err(PRAAS_ERR_IO, "cannot open a socket for %s: %s", bind_addr,
                      strerror(errno));
        goto err_ai;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
        rc = core_err(PRAAS_ERR_IO, "cannot listen on %s port %d: %s", bind_addr, port,
                      strerror(errno));
        goto err_fd;
    }
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
        rc = core_err(PRAAS_ERR_IO, "cannot read the bound port: %s", strerror(errno));
        goto err_fd;
    }
    /* Clients cannot connect to a wildcard address: they get loopback. */
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        *port_p = ntohs(s6->sin6_port);
        if (IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr))
            snprintf(host, sizeof(host), "::1");
        else
            inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
        snprintf(url, url_size, "http://[%s]:%d", host, *port_p);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        *port_p = ntohs(s4->sin_port);
        if (s4->sin_addr.s_addr == htonl(INADDR_ANY))
            snprintf(host, sizeof(host), "127.0.0.1");
        else
            inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
        snprintf(url, url_size, "http://%s:%d", host, *port_p);
    }
    freeaddrinfo(ai);
    *fd_p = fd;
    return 0;

err_fd:
    close(fd);
err_ai:
    freeaddrinfo(ai);
    return rc;
}

PRAAS_API int praas_control_start(const praas_control_opts_t *opts, praas_control_t **ctl_p)
{
    praas_control_opts_t def = {0};
    struct praas_control *ctl;
    pthread_condattr_t ca;
    int rc;

    if (ctl_p == NULL)
        return core_err(PRAAS_ERR_INVALID, "praas_control_start: ctl_p is NULL");
    if (opts == NULL)
        opts = &def;
    if (opts->port < 0 || opts->port > 65535)
        return core_err(PRAAS_ERR_INVALID, "port %d is not in 0..65535", opts->port);

    ctl = calloc(1, sizeof(*ctl));
    if (ctl == NULL)
        return core_err(PRAAS_ERR_NOMEM, "no memory for the control plane");
    ctl->max_body = opts->max_body ? opts->max_body : CP_MAX_BODY_DEFAULT;
    ctl->max_payload = opts->max_payload ? opts->max_payload : CP_MAX_PAYLOAD_DEFAULT;
    rc = cp_lib_setup(ctl, opts);
    if (rc < 0) {
        free(ctl);
        return rc;
    }
    ctl->log_requests = opts->log_requests;
    ctl->listen_fd = -1;
    pthread_mutex_init(&ctl->lock, NULL);
    /* Waits are against core_now_ns(), the monotonic clock. */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ctl->wake, &ca);
    pthread_cond_init(&ctl->idle, &ca);
    pthread_condattr_destroy(&ca);
    atomic_init(&ctl->stopping, 0);

    rc = cp_store_open(opts->store, &ctl->store);
    if (rc < 0)
        goto err_ctl;
    rc = cp_sl_start(ctl, opts);
    if (rc < 0)
        goto err_store;
    rc = cp_listen(opts->bind ? opts->bind : "127.0.0.1", opts->port, &ctl->listen_fd, ctl->url,
                   sizeof(ctl->url), &ctl->port);
    if (rc < 0)
        goto err_store;
    ctl->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                                    MHD_USE_POLL | MHD_USE_ITC,
                                0, NULL, NULL, cp_access, ctl,
                                MHD_OPTION_LISTEN_SOCKET, (MHD_socket)ctl->listen_fd,
                                MHD_OPTION_NOTIFY_COMPLETED, cp_completed, ctl,
                                MHD_OPTION_CONNECTION_LIMIT, (unsigned)CP_CONNECTION_LIMIT,
                                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CP_IDLE_TIMEOUT_S,
                                MHD_OPTION_END);
    if (ctl->mhd == NULL) {
        rc = core_err(PRAAS_ERR_IO, "libmicrohttpd could not serve %s", ctl->url);
        goto err_fd;
    }
    *ctl_p = ctl;
    return 0;

err_fd:
    close(ctl->listen_fd);
err_store:
    cp_sl_free(ctl);
    cp_store_close(ctl->store);
err_ctl:
    pthread_cond_destroy(&ctl->idle);
    pthread_cond_destroy(&ctl->wake);
    pthread_mutex_destroy(&ctl->lock);
    free(ctl);
    return rc;
}

PRAAS_API const char *praas_control_url(const praas_control_t *ctl)
{
    return ctl->url;
}

PRAAS_API int praas_control_port(const praas_control_t *ctl)
{
    return ctl->port;
}

/* Stop in an order that lets waiting requests be answered: mark stopping
 * and wake the fences (they answer 503), stop accepting, give the answers
 * in flight a grace period to be sent, then let MHD close the connections
 * and join its threads. */
PRAAS_API void praas_control_stop(praas_control_t *ctl)
{
    struct timespec ts;
    MHD_socket fd;

    if (ctl == NULL)
        return;
    pthread_mutex_lock(&ctl->lock);
    atomic_store(&ctl->stopping, 1);
    ctl->generation++;
    pthread_cond_broadcast(&ctl->wake);
    pthread_mutex_unlock(&ctl->lock);

    fd = MHD_quiesce_daemon(ctl->mhd);

    ts = cp_abstime(core_now_ns() + (uint64_t)CP_STOP_GRACE_MS * 1000000u);
    pthread_mutex_lock(&ctl->lock);
    while (ctl->active > 0)
        if (pthread_cond_timedwait(&ctl->idle, &ctl->lock, &ts) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&ctl->lock);

    /* Subprocesses go first: a request waiting for one fails at once. */
    cp_sl_kill(ctl);
    MHD_stop_daemon(ctl->mhd);
    /* After quiescing, the listening socket is ours to close. */
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    cp_sl_free(ctl);
    cp_store_close(ctl->store);
    pthread_cond_destroy(&ctl->idle);
    pthread_cond_destroy(&ctl->wake);
    pthread_mutex_destroy(&ctl->lock);
    free(ctl);
}
