/*
 * Reference relay on libwebsockets (the library's own limit): one service thread, no persistence.
 * Build: gcc -O2 -o relay-lws relay.c -lwebsockets
 * Run:   relay-lws [port]   (0 = any free port); prints "relay-lws listening on http://127.0.0.1:PORT".
 *
 * It speaks just enough of docs/PROTOCOL.md for bench/gen: hello -> welcome, set_status -> status,
 * request_chat -> ack (seq 1 and time, no event: the slim ack of docs/PROTOCOL.md) and routing to an available agent connection with fewer than 3 chats
 * (session frame + joined event seq 2), send -> ack with the next seq to the sender and the event with the
 * same seq to the other side. NO persistence, NO token checks (a token with dots is a customer, anything else
 * an agent), no policy, no resume. Frames are parsed with strstr (the generator's frames are simple JSON);
 * the message text is forwarded as the same JSON string slice it arrived in.
 * Writes follow the lws rule: queue per connection, one frame per WRITEABLE callback.
 */
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CAP 3
#define MAXCONN 70000

struct outmsg { struct outmsg *next; size_t len; unsigned char buf[]; };
struct pss { int id; };
struct conn { struct lws *wsi; int role; /* 0 none, 1 customer, 2 agent */ int available, chats;
              char *rx; size_t rxlen, rxcap; struct outmsg *qh, *qt; };
struct session { int customer, agent; long seq; };

static struct conn *conns;
static int nextconn = 1;
static struct session *sessions;
static long nsessions, sesscap;
static long *queue, qhead, qtail, qcap;
static volatile int interrupted;

/* Now as chatd writes instants: "2026-11-21T10:00:00.123Z" (UTC, milliseconds). */
static void iso_now(char out[32]) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm parts;
    gmtime_r(&ts.tv_sec, &parts);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &parts);
    snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static void enqueue(int cid, const char *p, size_t len) {
    struct conn *c = &conns[cid];
    if (!c->wsi) return;
    struct outmsg *m = malloc(sizeof *m + LWS_PRE + len);
    if (!m) return;
    m->next = NULL; m->len = len;
    memcpy(m->buf + LWS_PRE, p, len);
    if (c->qt) c->qt->next = m; else c->qh = m;
    c->qt = m;
    lws_callback_on_writable(c->wsi);
}

/* Finds "key":"...", returns pointer to the string content and its raw (still escaped) length. */
static const char *str_field(const char *f, const char *key, size_t *len) {
    const char *p = strstr(f, key);
    if (!p) return NULL;
    p += strlen(key);
    const char *e = p;
    while (*e && *e != '"') { if (*e == '\\' && e[1]) e++; e++; }
    *len = (size_t)(e - p);
    return p;
}

static long num_field(const char *f, const char *key) {
    const char *p = strstr(f, key);
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static void route(void) {
    char buf[512];
    while (qhead < qtail) {
        int a = 0;
        for (int i = 1; i < nextconn; i++)
            if (conns[i].wsi && conns[i].role == 2 && conns[i].available && conns[i].chats < CAP) { a = i; break; }
        if (!a) return;
        long sid = queue[qhead++];
        struct session *s = &sessions[sid];
        s->agent = a;
        conns[a].chats++;
        s->seq++;
        int n = snprintf(buf, sizeof buf, "{\"type\":\"session\",\"session\":{\"id\":%ld,\"state\":\"active\",\"lastSeq\":%ld}}", sid, s->seq);
        enqueue(a, buf, (size_t)n);
        n = snprintf(buf, sizeof buf, "{\"type\":\"event\",\"event\":{\"sessionId\":%ld,\"seq\":%ld,\"kind\":\"joined\",\"agent\":{\"id\":\"%d\"}}}", sid, s->seq, a);
        enqueue(a, buf, (size_t)n);
        enqueue(s->customer, buf, (size_t)n);
    }
}

static void handle(int cid, char *f) {
    struct conn *c = &conns[cid];
    size_t tl = 0, cl = 0;
    char small[512];
    const char *type = str_field(f, "\"type\":\"", &tl);
    if (!type) return;
    if (tl == 5 && !strncmp(type, "hello", 5)) {
        size_t kl = 0;
        const char *tok = str_field(f, "\"token\":\"", &kl);
        c->role = tok && memchr(tok, '.', kl) ? 1 : 2;
        int n = snprintf(small, sizeof small, "{\"type\":\"welcome\",\"role\":\"%s\"}", c->role == 1 ? "customer" : "agent");
        enqueue(cid, small, (size_t)n);
        if (c->role == 2) { n = snprintf(small, sizeof small, "{\"type\":\"status\",\"status\":\"away\"}"); enqueue(cid, small, (size_t)n); }
    } else if (tl == 10 && !strncmp(type, "set_status", 10)) {
        c->available = strstr(f, "\"available\"") != NULL;
        int n = snprintf(small, sizeof small, "{\"type\":\"status\",\"status\":\"%s\"}", c->available ? "available" : "away");
        enqueue(cid, small, (size_t)n);
        route();
    } else if (tl == 12 && !strncmp(type, "request_chat", 12)) {
        const char *cl_ = str_field(f, "\"clientId\":\"", &cl);
        if (nsessions + 1 >= sesscap) { sesscap = sesscap ? sesscap * 2 : 4096; sessions = realloc(sessions, sizeof *sessions * sesscap); }
        if (qtail + 1 >= qcap) { qcap = qcap ? qcap * 2 : 4096; queue = realloc(queue, sizeof *queue * qcap); }
        long sid = ++nsessions;
        sessions[sid] = (struct session){cid, 0, 1};
        char at[32];
        iso_now(at);
        int n = snprintf(small, sizeof small, "{\"type\":\"ack\",\"clientId\":\"%.*s\",\"sessionId\":%ld,\"seq\":1,\"at\":\"%s\"}",
                         (int)(cl_ ? cl : 0), cl_ ? cl_ : "", sid, at);
        enqueue(cid, small, (size_t)n);
        queue[qtail++] = sid;
        route();
    } else if (tl == 4 && !strncmp(type, "send", 4)) {
        long sid = num_field(f, "\"sessionId\":");
        size_t xl = 0;
        const char *cl_ = str_field(f, "\"clientId\":\"", &cl);
        const char *tx = str_field(f, "\"text\":\"", &xl);
        if (sid < 1 || sid > nsessions || !cl_ || !tx) {
            int n = snprintf(small, sizeof small, "{\"type\":\"error\",\"code\":\"invalid_field\",\"message\":\"bad send\"}");
            enqueue(cid, small, (size_t)n);
            return;
        }
        struct session *s = &sessions[sid];
        int other = cid == s->customer ? s->agent : cid == s->agent ? s->customer : -1;
        if (other <= 0) {
            int n = snprintf(small, sizeof small, "{\"type\":\"error\",\"code\":\"not_your_session\",\"message\":\"not yours\"}");
            enqueue(cid, small, (size_t)n);
            return;
        }
        long seq = ++s->seq;
        size_t cap = xl + cl + 256;
        char *ev = malloc(cap), *ack = malloc(cap + cl + 64);
        int en = snprintf(ev, cap, "{\"sessionId\":%ld,\"seq\":%ld,\"kind\":\"message\",\"author\":{\"role\":\"%s\",\"id\":\"%d\"},\"text\":\"%.*s\",\"clientId\":\"%.*s\"}",
                          sid, seq, c->role == 1 ? "customer" : "agent", cid, (int)xl, tx, (int)cl, cl_);
        char at[32];
        iso_now(at);
        /* The slim ack chatd sends (docs/PROTOCOL.md): the sender has the content, it learns seq and time. */
        int an = snprintf(ack, cap + cl + 64, "{\"type\":\"ack\",\"clientId\":\"%.*s\",\"sessionId\":%ld,\"seq\":%ld,\"at\":\"%s\"}",
                          (int)cl, cl_, sid, seq, at);
        enqueue(cid, ack, (size_t)an);
        int fn = snprintf(ack, cap + cl + 64, "{\"type\":\"event\",\"event\":%.*s}", en, ev);
        enqueue(other, ack, (size_t)fn);
        free(ev);
        free(ack);
    } else if (tl == 4 && !strncmp(type, "ping", 4)) {
        enqueue(cid, "{\"type\":\"pong\"}", 15);
    } else {
        int n = snprintf(small, sizeof small, "{\"type\":\"error\",\"code\":\"unknown_type\",\"message\":\"unknown\"}");
        enqueue(cid, small, (size_t)n);
    }
}

static int cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    struct pss *pss = user;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        if (nextconn >= MAXCONN) return -1;
        pss->id = nextconn++;
        memset(&conns[pss->id], 0, sizeof conns[0]);
        conns[pss->id].wsi = wsi;
        break;
    case LWS_CALLBACK_RECEIVE: {
        struct conn *c = &conns[pss->id];
        if (c->rxlen + len + 1 > c->rxcap) {
            size_t nc = c->rxcap ? c->rxcap : 1024;
            while (nc < c->rxlen + len + 1) nc *= 2;
            c->rx = realloc(c->rx, nc);
            c->rxcap = nc;
        }
        memcpy(c->rx + c->rxlen, in, len);
        c->rxlen += len;
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            c->rx[c->rxlen] = 0;
            c->rxlen = 0;
            handle(pss->id, c->rx);
        }
        break;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE: {
        struct conn *c = &conns[pss->id];
        struct outmsg *m = c->qh;
        if (!m) break;
        if (lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT) < (int)m->len) return -1;
        c->qh = m->next;
        if (!c->qh) c->qt = NULL;
        free(m);
        if (c->qh) lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_CLOSED: {
        struct conn *c = &conns[pss->id];
        c->wsi = NULL;
        while (c->qh) { struct outmsg *m = c->qh; c->qh = m->next; free(m); }
        c->qt = NULL;
        free(c->rx); c->rx = NULL; c->rxcap = c->rxlen = 0;
        break;
    }
    default:
        break;
    }
    return 0;
}

static struct lws_protocols protocols[] = {
    {"relay", cb, sizeof(struct pss), 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void sigint(int s) { (void)s; interrupted = 1; }

int main(int argc, char **argv) {
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = argc > 1 ? atoi(argv[1]) : 0;
    info.iface = "127.0.0.1";
    info.protocols = protocols;
    info.fd_limit_per_thread = MAXCONN;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    conns = calloc(MAXCONN, sizeof *conns);
    signal(SIGINT, sigint);
    signal(SIGTERM, sigint);
    signal(SIGPIPE, SIG_IGN);
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context *ctx = lws_create_context(&info);
    if (!ctx) { fprintf(stderr, "relay-lws: lws_create_context failed\n"); return 1; }
    struct lws_vhost *vh = lws_get_vhost_by_name(ctx, "default");
    printf("relay-lws listening on http://127.0.0.1:%d\n", vh ? lws_get_vhost_listen_port(vh) : info.port);
    fflush(stdout);
    while (!interrupted && lws_service(ctx, 0) >= 0)
        ;
    lws_context_destroy(ctx);
    return 0;
}
