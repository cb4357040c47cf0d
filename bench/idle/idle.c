/*
 * Idle-connection holder for the chatd benchmark: opens many authenticated WebSockets and keeps them open.
 *
 * One process, one epoll loop, no libwebsockets: a connection costs this process a 16-byte slot (plus a small
 * buffer only while a frame is split across reads), so a few processes can hold 100,000 connections and the
 * generator's own memory and CPU stay out of the figures. (The lws client used by bench/gen allocates its receive
 * buffer per connection: too heavy for 100k.)
 *
 * Each connection: TCP connect from a loopback source address (127.0.0.x, round robin on the global index, so a
 * run of several processes spreads evenly), HTTP upgrade to /ws, a masked `hello` with its token, then waits for
 * `welcome`. Pings from the server are answered with pongs (chatd pings idle connections).
 *
 * Protocol on stdin/stdout (for bench/bench.py):
 *   stdout "READY connected=N failed=F seconds=S per_s=R"   once every connection is welcomed or has failed
 *   stdin  "ping"  -> a WebSocket ping on every open connection; stdout "ALIVE open=N pongs=P closed=C seconds=S"
 *   stdin  "quit" or EOF -> exit (the OS closes the sockets)
 * Every wait is bounded (--setup-seconds for set-up, 15 s for a ping round).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum { S_FREE, S_CONNECTING, S_UPGRADING, S_HELLO, S_OPEN, S_DEAD };

struct conn {
    int fd;
    uint8_t state, pinged, ponged;
    uint16_t rxlen;  /* bytes held in rx (a frame or HTTP response split across reads) */
    char *rx;
};

static struct conn *conns;
static char **tokens;
static int ncount, first_index, nsrc = 4, port, inflight_max = 256, next_connect, inflight;
static int nwelcomed, nfailed, nclosed, npongs;
static double setup_s = 120;
static int ep;

static int64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what) { perror(what); exit(2); }

/* A masked client frame (RFC 6455 5.3); payloads here are under 64 KB. */
static int send_frame(struct conn *c, int opcode, const char *payload, size_t len) {
    unsigned char buf[4096];
    static const unsigned char key[4] = {0x5a, 0x13, 0xc7, 0x2e};
    size_t h = 0;
    if (len + 8 > sizeof buf) return -1;
    buf[h++] = (unsigned char)(0x80 | opcode);
    if (len < 126) buf[h++] = (unsigned char)(0x80 | len);
    else { buf[h++] = 0x80 | 126; buf[h++] = (unsigned char)(len >> 8); buf[h++] = (unsigned char)len; }
    memcpy(buf + h, key, 4);
    h += 4;
    for (size_t i = 0; i < len; i++) buf[h + i] = (unsigned char)payload[i] ^ key[i & 3];
    /* A fresh or idle socket has an empty send buffer: a short write would be a broken connection. */
    return send(c->fd, buf, h + len, MSG_NOSIGNAL) == (ssize_t)(h + len) ? 0 : -1;
}

static void drop(struct conn *c, int was_failure) {
    if (c->state == S_DEAD) return;
    if (c->state < S_OPEN) { inflight -= c->state >= S_CONNECTING; if (was_failure) nfailed++; }
    else nclosed++;
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->state = S_DEAD;
    free(c->rx);
    c->rx = NULL;
    c->rxlen = 0;
}

static void start_connect(int i) {
    struct conn *c = &conns[i];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) { if (nfailed < 3) perror("idle: socket"); nfailed++; c->state = S_DEAD; return; }
    int one = 1;
    /* The port is chosen at connect() from the 4-tuple, so each source address has its own ephemeral range. */
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    struct sockaddr_in src = {.sin_family = AF_INET};
    src.sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)((first_index + i) % nsrc));
    if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0) { if (nfailed < 3) perror("idle: bind"); close(fd); nfailed++; c->state = S_DEAD; return; }
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    dst.sin_addr.s_addr = htonl(0x7f000001u);
    c->fd = fd;
    c->state = S_CONNECTING;
    inflight++;
    if (connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0 && errno != EINPROGRESS) {
        if (nfailed < 3) perror("idle: connect");
        drop(c, 1);
        return;
    }
    struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
}

static void connected(int i) {
    struct conn *c = &conns[i];
    int err = 0;
    socklen_t el = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
    if (err) { if (nfailed < 3) fprintf(stderr, "idle: connect: %s\n", strerror(err)); drop(c, 1); return; }
    char req[256];
    int n = snprintf(req, sizeof req,
                     "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", port);
    if (send(c->fd, req, (size_t)n, MSG_NOSIGNAL) != n) { drop(c, 1); return; }
    c->state = S_UPGRADING;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* One complete frame from the server (unmasked). */
static void on_frame(struct conn *c, int opcode, const char *p, size_t len) {
    if (opcode == 0x9) { if (send_frame(c, 0xA, p, len) < 0) drop(c, 0); return; }
    if (opcode == 0xA) { if (c->pinged && !c->ponged) { c->ponged = 1; npongs++; } return; }
    if (opcode == 0x8) {
        if (nclosed + nfailed < 3)
            fprintf(stderr, "idle: closed by server: code %d %.*s\n", len >= 2 ? (unsigned char)p[0] << 8 | (unsigned char)p[1] : 0,
                    len > 2 ? (int)len - 2 : 0, p + 2);
        drop(c, 1);
        return;
    }
    if (opcode == 0x1 && c->state == S_HELLO) {
        if (memmem(p, len, "\"type\":\"welcome\"", 16)) {
            c->state = S_OPEN;
            inflight--;
            nwelcomed++;
        } else if (memmem(p, len, "\"type\":\"error\"", 14)) {
            if (nfailed < 3) fprintf(stderr, "idle: %.*s\n", (int)(len > 300 ? 300 : len), p);
            drop(c, 1);
        }
    }
}

/* Parses frames from buf; returns bytes consumed (the rest is an incomplete frame). */
static size_t parse_frames(struct conn *c, const char *buf, size_t n) {
    size_t off = 0;
    while (c->state != S_DEAD && n - off >= 2) {
        const unsigned char *h = (const unsigned char *)buf + off;
        size_t len = h[1] & 0x7f, hl = 2;
        if (len == 126) { if (n - off < 4) break; len = (size_t)h[2] << 8 | h[3]; hl = 4; }
        else if (len == 127) { if (n - off < 10) break; len = 0; for (int k = 2; k < 10; k++) len = len << 8 | h[k]; hl = 10; }
        if (len > 60000) { drop(c, 1); break; }  /* idle customers get small frames only */
        if (n - off < hl + len) break;
        on_frame(c, h[0] & 0x0f, buf + off + hl, len);
        off += hl + len;
    }
    return off;
}

static void readable(int i) {
    static char buf[65536 + 65536];
    struct conn *c = &conns[i];
    size_t have = c->rxlen;
    if (have) memcpy(buf, c->rx, have);
    ssize_t r = recv(c->fd, buf + have, 65536, 0);
    if (r <= 0) {
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
        drop(c, 1);
        return;
    }
    size_t n = have + (size_t)r, off = 0;
    if (c->state == S_UPGRADING) {
        char *end = memmem(buf, n, "\r\n\r\n", 4);
        if (!end) off = 0;
        else if (strncmp(buf, "HTTP/1.1 101", 12) != 0) {
            if (nfailed < 3) fprintf(stderr, "idle: upgrade refused: %.60s\n", buf);
            drop(c, 1);
            return;
        } else {
            off = (size_t)(end + 4 - buf);
            char hello[2048];
            int hn = snprintf(hello, sizeof hello, "{\"type\":\"hello\",\"token\":\"%s\"}", tokens[i]);
            if (send_frame(c, 0x1, hello, (size_t)hn) < 0) { drop(c, 1); return; }
            c->state = S_HELLO;
        }
    }
    if (c->state >= S_HELLO && c->state != S_DEAD) off += parse_frames(c, buf + off, n - off);
    if (c->state == S_DEAD) return;
    size_t left = n - off;
    if (left > 65535) { drop(c, 1); return; }
    if (left) {
        char *nb = realloc(c->rx, left);
        if (!nb) die("realloc");
        memmove(nb, buf + off, left);
        c->rx = nb;
    } else { free(c->rx); c->rx = NULL; }
    c->rxlen = (uint16_t)left;
}

static void poll_once(int timeout_ms) {
    struct epoll_event evs[1024];
    int n = epoll_wait(ep, evs, 1024, timeout_ms);
    for (int k = 0; k < n; k++) {
        uint32_t i = evs[k].data.u32;
        if (i == UINT32_MAX) continue;  /* stdin: read by the caller */
        struct conn *c = &conns[i];
        if (c->state == S_DEAD) continue;
        if (c->state == S_CONNECTING) {
            if (evs[k].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) connected((int)i);
        } else if (evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) readable((int)i);
    }
}

static void ping_round(void) {
    int64_t t0 = mono_ns();
    npongs = 0;
    int want = 0;
    for (int i = 0; i < ncount; i++) {
        struct conn *c = &conns[i];
        if (c->state != S_OPEN) continue;
        c->pinged = 1;
        c->ponged = 0;
        if (send_frame(c, 0x9, "bench", 5) < 0) drop(c, 0);
        else want++;
    }
    int64_t deadline = t0 + 15000000000LL;
    while (npongs < want && mono_ns() < deadline) poll_once(50);
    int open = 0;
    for (int i = 0; i < ncount; i++) open += conns[i].state == S_OPEN;
    printf("ALIVE open=%d pongs=%d closed=%d seconds=%.3f\n", open, npongs, nclosed, (mono_ns() - t0) / 1e9);
    fflush(stdout);
}

static void usage(void) {
    fprintf(stderr, "usage: idle --port P --tokens FILE [--first I] [--count N] [--src-addrs K] [--inflight N]\n"
                    "            [--setup-seconds S]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *tokfile = NULL;
    ncount = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) usage();
        if (!strcmp(a, "--port")) port = atoi(v);
        else if (!strcmp(a, "--tokens")) tokfile = v;
        else if (!strcmp(a, "--first")) first_index = atoi(v);
        else if (!strcmp(a, "--count")) ncount = atoi(v);
        else if (!strcmp(a, "--src-addrs")) nsrc = atoi(v);
        else if (!strcmp(a, "--inflight")) inflight_max = atoi(v);
        else if (!strcmp(a, "--setup-seconds")) setup_s = atof(v);
        else usage();
        i++;
    }
    if (!port || !tokfile || nsrc < 1 || nsrc > 250) usage();

    /* Tokens first..first+count-1 of the file, one a line. */
    FILE *f = fopen(tokfile, "r");
    if (!f) die(tokfile);
    int cap = ncount > 0 ? ncount : 1024, have = 0, line_no = 0;
    tokens = malloc(sizeof(char *) * (size_t)cap);
    char *line = NULL;
    size_t lc = 0;
    ssize_t r;
    while ((r = getline(&line, &lc, f)) > 0 && (ncount < 0 || have < ncount)) {
        while (r > 0 && (line[r - 1] == '\n' || line[r - 1] == '\r')) line[--r] = 0;
        if (!r || line_no++ < first_index) continue;
        if (have == cap) tokens = realloc(tokens, sizeof(char *) * (size_t)(cap *= 2));
        tokens[have++] = strdup(line);
    }
    free(line);
    fclose(f);
    if (ncount < 0 || ncount > have) ncount = have;

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if ((rlim_t)ncount + 16 > rl.rlim_cur) {
        fprintf(stderr, "idle: %d connections need %d descriptors; RLIMIT_NOFILE is %llu\n", ncount, ncount + 16,
                (unsigned long long)rl.rlim_cur);
        return 2;
    }
    conns = calloc((size_t)ncount, sizeof *conns);
    for (int i = 0; i < ncount; i++) conns[i].fd = -1;
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    struct epoll_event sev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    epoll_ctl(ep, EPOLL_CTL_ADD, 0, &sev);

    int64_t t0 = mono_ns(), t_last = t0, deadline = t0 + (int64_t)(setup_s * 1e9);
    while (nwelcomed + nfailed < ncount && mono_ns() < deadline) {
        while (next_connect < ncount && inflight < inflight_max) start_connect(next_connect++);
        int before = nwelcomed;
        poll_once(10);
        if (nwelcomed != before) t_last = mono_ns();
    }
    for (int i = 0; i < ncount; i++)
        if (conns[i].state != S_OPEN && conns[i].state != S_DEAD) drop(&conns[i], 1);  /* timed out */
    if (nwelcomed + nfailed < ncount) nfailed = ncount - nwelcomed;
    double secs = (t_last - t0) / 1e9;
    printf("READY connected=%d failed=%d seconds=%.3f per_s=%.1f\n", nwelcomed, nfailed, secs,
           secs > 0 ? nwelcomed / secs : 0.0);
    fflush(stdout);

    char cmd[256];
    size_t cl = 0;
    for (;;) {
        poll_once(200);
        ssize_t n = read(0, cmd + cl, sizeof cmd - 1 - cl);
        if (n == 0) break;  /* EOF: bench.py is done with us */
        if (n < 0) { if (errno == EAGAIN || errno == EINTR) continue; break; }
        cl += (size_t)n;
        cmd[cl] = 0;
        char *nl;
        while ((nl = strchr(cmd, '\n'))) {
            *nl = 0;
            if (!strcmp(cmd, "ping")) ping_round();
            else if (!strcmp(cmd, "quit")) return 0;
            cl -= (size_t)(nl + 1 - cmd);
            memmove(cmd, nl + 1, cl + 1);
        }
        if (cl >= sizeof cmd - 1) cl = 0;
    }
    return 0;
}
