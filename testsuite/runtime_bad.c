/*
 * praas-process against bad input (TAP): malformed data-plane frames (bad
 * magic, unknown type, a name, meta or payload over its limit, meta that
 * is not JSON, a reply type, reserved flags) each answered with an ERROR
 * frame naming the problem and the connection closed; a truncated frame and
 * a client stalled in the middle of a frame; the server keeps serving the
 * others throughout. And the command line: --help, bad options, a library
 * that does not load.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>

#include "runtime/wire.h"
#include "testsuite/lib/rt_proc.h"

/* ---- malformed frames, on raw sockets ---- */

static int raw_connect(const char *ep)
{
    char host[256];
    const char *colon = strrchr(ep, ':');
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
    int fd;

    snprintf(host, sizeof(host), "%.*s", (int)(colon - ep), ep);
    if (getaddrinfo(host, colon + 1, &hints, &res))
        return -1;
    fd = socket(res->ai_family, SOCK_STREAM, 0);
    if (connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

/* Send raw bytes; expect an ERROR frame whose message contains `expect`,
 * then the end of the stream. */
static int expect_error(const char *ep, const void *bytes, size_t n, const char *expect,
                        char *msg, size_t cap)
{
    int fd = raw_connect(ep), ok = 0;
    unsigned char raw[RT_HDR_SIZE];
    struct rt_hdr h;
    char sect[RT_NAME_MAX + RT_META_MAX];

    snprintf(msg, cap, "no reply");
    if (fd < 0)
        return 0;
    if (write(fd, bytes, n) != (ssize_t)n)
        goto out;
    if (rt_io_read(fd, raw, sizeof(raw), 10000) || rt_hdr_decode(raw, &h) ||
        h.type != RT_MSG_ERROR || rt_io_read(fd, sect, h.name_len + h.meta_len, 10000))
        goto out;
    json_t *m = json_loadb(sect + h.name_len, h.meta_len, 0, NULL);
    json_t *e = json_object_get(m, "error");
    snprintf(msg, cap, "%s", json_is_string(e) ? json_string_value(e) : "?");
    json_decref(m);
    char c;
    ok = h.status < 0 && strstr(msg, expect) && rt_io_read(fd, &c, 1, 10000) == PRAAS_ERR_PEER;
out:
    close(fd);
    return ok;
}

static size_t frame(unsigned char *buf, unsigned type, uint64_t id, const char *name,
                    const char *meta, uint64_t payload_len)
{
    struct rt_hdr h = {.magic = RT_MAGIC, .type = (uint16_t)type, .id = id,
                       .name_len = (uint32_t)strlen(name), .meta_len = (uint32_t)strlen(meta),
                       .payload_len = payload_len};
    rt_hdr_encode(&h, buf);
    memcpy(buf + RT_HDR_SIZE, name, strlen(name));
    memcpy(buf + RT_HDR_SIZE + strlen(name), meta, strlen(meta));
    return RT_HDR_SIZE + strlen(name) + strlen(meta);
}

static void test_malformed(struct proc *p, struct rt_conn *main_conn)
{
    unsigned char buf[1024];
    char msg[512], longname[300];
    size_t n;
    int ok;

    /* A client that stalls in the middle of a frame blocks nobody. */
    int stalled = raw_connect(p->ep);
    n = frame(buf, RT_MSG_PING, 1, "", "{}", 0);
    if (write(stalled, buf, 20) != 20)
        tap_diag("short write");

    n = frame(buf, RT_MSG_PING, 1, "", "", 0);
    buf[0] ^= 0xff;
    tap_ok(expect_error(p->ep, buf, n, "magic", msg, sizeof(msg)), "bad magic: ERROR (%s)", msg);
    n = frame(buf, 99, 1, "", "", 0);
    tap_ok(expect_error(p->ep, buf, n, "type 99", msg, sizeof(msg)),
           "unknown type: ERROR (%s)", msg);
    memset(longname, 'a', 257);
    longname[257] = '\0';
    n = frame(buf, RT_MSG_HELLO, 1, "", "", 0);
    struct rt_hdr h;
    rt_hdr_decode(buf, &h);
    h.name_len = 257;
    rt_hdr_encode(&h, buf);
    memcpy(buf + RT_HDR_SIZE, longname, 257);
    tap_ok(expect_error(p->ep, buf, RT_HDR_SIZE + 257, "name length 257", msg, sizeof(msg)),
           "a name over 256 bytes: ERROR (%s)", msg);
    h.name_len = 0;
    h.meta_len = RT_META_MAX + 1;
    rt_hdr_encode(&h, buf);
    tap_ok(expect_error(p->ep, buf, RT_HDR_SIZE, "meta length", msg, sizeof(msg)),
           "a meta section over 64 KiB: ERROR (%s)", msg);
    h.meta_len = 0;
    h.type = RT_MSG_INVOKE;
    h.payload_len = RT_PAYLOAD_MAX + 1;
    rt_hdr_encode(&h, buf);
    tap_ok(expect_error(p->ep, buf, RT_HDR_SIZE, "payload length", msg, sizeof(msg)),
           "a payload over 4 GiB: ERROR (%s)", msg);
    n = frame(buf, RT_MSG_INVOKE, 5, "echo", "", 64ull << 20);
    tap_ok(expect_error(p->ep, buf, n, "over the limit", msg, sizeof(msg)),
           "a payload over the process's --max-payload: ERROR before reading it (%s)", msg);
    n = frame(buf, RT_MSG_PING, 1, "", "{not json", 0);
    tap_ok(expect_error(p->ep, buf, n, "not JSON", msg, sizeof(msg)),
           "meta that is not JSON: ERROR (%s)", msg);
    n = frame(buf, RT_MSG_RESULT, 1, "", "", 0);
    tap_ok(expect_error(p->ep, buf, n, "reply", msg, sizeof(msg)),
           "a reply type sent to the server: ERROR (%s)", msg);
    n = frame(buf, RT_MSG_PING, 1, "", "", 0);
    buf[6] = 1;
    tap_ok(expect_error(p->ep, buf, n, "flags", msg, sizeof(msg)), "reserved flags: ERROR (%s)",
           msg);
    /* Truncated: half a header, then the client leaves. */
    int fd = raw_connect(p->ep);
    n = frame(buf, RT_MSG_PING, 1, "", "", 0);
    ok = fd >= 0 && write(fd, buf, 17) == 17;
    close(fd);
    /* Still serving, with the stalled client still connected. */
    json_t *r = NULL;
    int rc = rt_sub_ping(main_conn, TMO, &r);
    tap_ok(ok && rc == 0 && json_integer_value(json_object_get(r, "pid")) == p->pid,
           "after every malformed frame, a truncated one and with a client stalled mid-frame, "
           "the server still answers (pid %lld)",
           (long long)json_integer_value(json_object_get(r, "pid")));
    json_decref(r);
    close(stalled);
}

/* ---- the command line ---- */

/* Run praas-process with args (stdout and stderr into *out); exit status. */
static int run_cli(const char *const *args, char *out, size_t cap)
{
    int fd[2], st;
    size_t n = 0;
    pid_t pid;

    if (pipe(fd))
        return -1;
    pid = fork();
    if (pid == 0) {
        const char *argv[16] = {g_prog};
        for (int i = 0; args[i] && i < 14; i++)
            argv[i + 1] = args[i];
        dup2(fd[1], 1);
        dup2(fd[1], 2);
        close(fd[0]);
        int nul = open("/dev/null", O_RDONLY);
        dup2(nul, 0);
        execv(g_prog, (char **)argv);
        _exit(127);
    }
    close(fd[1]);
    for (;;) {
        ssize_t k = read(fd[0], out + n, cap - 1 - n);
        if (k <= 0)
            break;
        n += (size_t)k;
        if (n == cap - 1)
            break;
    }
    out[n] = '\0';
    close(fd[0]);
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void test_cli(void)
{
    char out[8192];
    int st;

    st = run_cli((const char *[]){"--help", NULL}, out, sizeof(out));
    tap_ok(st == 0 && strstr(out, "--library PATH") && strstr(out, "--exit-on-stdin-eof"),
           "--help prints the options, exit 0");
    st = run_cli((const char *[]){"--listen", "127.0.0.1:0", NULL}, out, sizeof(out));
    tap_ok(st == 2 && strstr(out, "--library PATH is required"),
           "no --library: exit 2 saying so");
    st = run_cli((const char *[]){"--library", g_lib, "--max-functions", "0", NULL}, out,
                 sizeof(out));
    tap_ok(st == 2 && strstr(out, "--max-functions '0'"), "--max-functions 0: exit 2 naming it");
    st = run_cli((const char *[]){"--library", g_lib, "--max-payload", "5G", NULL}, out,
                 sizeof(out));
    tap_ok(st == 2 && strstr(out, "--max-payload '5G'"), "--max-payload 5G: exit 2 naming it");
    st = run_cli((const char *[]){"--library", g_lib, "--frobnicate", NULL}, out, sizeof(out));
    tap_ok(st == 2 && strstr(out, "--frobnicate"), "an unknown option: exit 2 naming it");
    st = run_cli((const char *[]){"--no-init", "--library", "/nonexistent/libf.so", NULL}, out,
                 sizeof(out));
    tap_ok(st == 1 && strstr(out, "/nonexistent/libf.so"),
           "a library that does not load: exit 1 naming it");
    st = run_cli((const char *[]){"--no-init", "--library", g_lib, "--listen", "nohost", NULL},
                 out, sizeof(out));
    tap_ok(st == 1 && strstr(out, "nohost"), "a bad --listen: exit 1 naming it");
    st = run_cli((const char *[]){"--no-init", "--library", g_lib, "--storage", "ftp://x", NULL},
                 out, sizeof(out));
    tap_ok(st == 1 && strstr(out, "ftp://x"), "a bad --storage: exit 1 naming it");
    st = run_cli((const char *[]){"--no-init", "--library", g_lib, "--storage",
                                  "file:///tmp/praas-rt-bad", "--exit-on-stdin-eof", NULL},
                 out, sizeof(out));
    tap_ok(st == 0 && strncmp(out, "endpoint 127.0.0.1:", 19) == 0,
           "with stdin at end of file and --exit-on-stdin-eof: the endpoint line, then exit 0");
}

int main(void)
{
    struct proc p;
    struct rt_conn *c = NULL;

    signal(SIGPIPE, SIG_IGN);
    if (rt_test_paths())
        return 1;
    test_cli();
    if (proc_start(&p, "file:///tmp/praas-rt-bad", "--max-payload", "32M") || conn(&p, &c)) {
        printf("Bail out! praas-process did not start\n");
        return 1;
    }
    test_malformed(&p, c);
    rt_conn_close(c);
    kill(p.pid, SIGTERM);
    tap_ok(proc_wait(&p, 15000) == 0, "praas-process exits 0 on SIGTERM");
    close(p.in_fd);
    if (system("rm -rf /tmp/praas-rt-bad") != 0)
        tap_diag("could not remove /tmp/praas-rt-bad");
    tap_no_plan_end();
    return tap_exit();
}
