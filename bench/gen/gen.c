/*
 * chatd load generator: one single-threaded libwebsockets client loop.
 *
 * mode chat: N customer connections + N/3 agent connections (3 sessions per agent).
 *   set-up: agents hello + set_status available; customers hello + request_chat; wait until every
 *   session is assigned to an agent. Then, for each rate step: open-loop Poisson arrivals at the
 *   aggregate rate, ~150-byte messages alternating customer->agent / agent->customer per session, each
 *   text carrying its intended send time (CLOCK_MONOTONIC ns) and a per-session counter. The receiving
 *   side measures latency from the intended send time and checks per-session seq numbers (events and
 *   acks) and per-direction counters for loss, duplication and order. After each step sending stops
 *   and the generator drains (bounded) before the next step.
 *   Stops when p99 > --max-p99-ms, any loss/dup/order error, or the generator's own CPU > --max-gen-cpu.
 *   Then a final run at --final-fraction of the highest passing rate.
 * mode idle: N customer connections, hello -> welcome, then hold (prints "READY ..." on stdout) until
 *   SIGTERM/SIGINT or --hold seconds.
 * --control stdin (chat mode): the steps are driven by another process (bench/bench.py), so that several
 *   generator processes, each with its own chats, step together and their latencies are merged. After set-up it
 *   prints "READY {json}" on stdout, then reads commands on stdin:
 *     "step <step|final> <rate> <seconds> <start CLOCK_MONOTONIC ns>"  one step at this process's share of the rate,
 *        starting at the given instant; after the drain one line "STEP {json}" with raw counters and the
 *        latency histograms (sparse [bucket, count] pairs, 10 us buckets) on stdout
 *     "quit" (or EOF)  writes the totals to --out and exits
 *   The stepping policy (when to stop, the final run) is then the driver's.
 *
 * Results: JSON on --out (and a short human line per step on stderr).
 * Every loop is bounded: set-up, steps and drains have deadlines.
 */
#include <libwebsockets.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXSTEPS 64
#define HBUCKETS 1000000 /* 10 us buckets, 0..10 s; last = overflow */
#define HRES_NS 10000LL

static int64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ------------------------------------------------------------------ options */
static const char *o_host = "127.0.0.1";
static int o_port = 0;
/* --customer-ports / --agent-ports P1,P2,...: spread customers / agents round robin over several servers (cluster
 * nodes); the n-th customer (agent) connects to the (n mod count)-th port. Default: --port for everyone. */
#define MAXPORTS 16
static int o_cports[MAXPORTS], o_ncports = 0, o_aports[MAXPORTS], o_naports = 0;
static int parse_ports(const char *v, int *out) {
    int n = 0;
    while (v && *v && n < MAXPORTS) {
        out[n++] = atoi(v);
        v = strchr(v, ',');
        if (v) v++;
    }
    return n;
}
static const char *o_mode = "chat";
static const char *o_customers = NULL, *o_agents = NULL;
static double o_rates[MAXSTEPS];
static int o_nrates = 0;
static double o_step_s = 5, o_final_s = 10, o_drain_s = 3, o_setup_s = 60, o_hold_s = 120;
static double o_max_p99_ms = 100, o_max_gen_cpu = 0.80, o_final_fraction = 0.5;
static int o_server_pid = 0, o_nsrc = 1, o_inflight = 200, o_msg_bytes = 150;
static const char *o_out = NULL, *o_label = "";
/* --trace FILE: one line per delivered message, "<intended send, CLOCK_MONOTONIC ns> <latency us>" (diagnosis of
   latency tails: where in time the slow messages are, beside other traces on the same clock). */
static FILE *trace_file = NULL;
static unsigned o_seed = 12345;
static const char *o_evlib = "ev"; /* ev (epoll via libev plugin), uv, or poll (lws default) */
static int o_control = 0;          /* --control stdin: steps driven by commands on stdin (see the top) */
static int o_write_now = 0;        /* --write-now 1: see enqueue() */
static int o_cheap_mask = 0;       /* --cheap-mask 1: see lws_get_random() */
static int64_t control_start_ns;   /* the commanded start of the next step (CLOCK_MONOTONIC) */

/* ------------------------------------------------------------------ state */
struct outmsg { struct outmsg *next; size_t len; unsigned char buf[]; /* LWS_PRE + payload */ };

struct conn {
    struct lws *wsi;
    int idx, is_agent, state; /* 0 idle,1 connecting,2 open,3 welcomed,4 ready(status/requested),9 dead */
    char *token;
    char *rx; size_t rxlen, rxcap;
    struct outmsg *qhead, *qtail;
    int qlen;
};

struct session {
    int cust, agent;            /* conn indices, -1 unknown */
    int64_t last_seq[2];        /* per side (0 customer, 1 agent); 0 = nothing seen */
    uint32_t next_k;            /* next message counter (even: customer sends, odd: agent sends) */
    uint32_t exp_k[2];          /* next expected counter per direction (0: cust->agent, 1: agent->cust) */
    uint32_t sent[2], recv[2], acked[2];
};

static struct conn *conns;
static int nconns, ncust, nagents;
static struct session *sess;
static int nsess_cap;
static int *active_sids, nactive;
static struct lws_context *ctx;
static volatile sig_atomic_t stop_flag;
static int64_t hard_end; /* outer bound on the whole run, checked by the control timer */

/* counters */
static struct {
    uint64_t sent, delivered, acked, seq_dup, seq_gap, seq_order, k_order, errors, closed;
    uint64_t events_other;
} C;
static uint32_t *hist, *hist_ack;
static uint64_t hist_n, hist_ack_n;
static double max_lat_ms;

/* phases */
enum { P_CONNECT, P_SETUP, P_STEP, P_DRAIN, P_DONE, P_IDLE_HOLD, P_WAIT /* --control: next command */ };
static int phase = P_CONNECT;
static int next_connect, inflight, nwelcomed, nfailed, nready, nassigned;
static int64_t t_connect_start, t_all_welcomed, t_setup_done, phase_deadline, step_start;
static double cur_rate;
static int64_t next_arrival;
static int step_idx, final_run;
static double best_rate = -1;
static struct lws_sorted_usec_list sul_tick, sul_ctl;
static FILE *out;
static int steps_written;
static uint64_t srv_cpu0, gen_cpu0, srv_cpu_s, gen_cpu_s;
static int64_t step_send_end;
static uint64_t snap_sent, snap_deliv, snap_acked;
static uint64_t err_snapshot;

static uint64_t proc_cpu_ticks(int pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, pid ? "/proc/%d/stat" : "/proc/self/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return 0;
    /* fields after ')': state(3) ppid(4) ... utime(14) stime(15) */
    unsigned long ut = 0, st = 0;
    int field = 2;
    for (char *s = p + 1; *s && field < 15; s++) {
        if (*s == ' ') {
            field++;
            if (field == 14) ut = strtoul(s + 1, NULL, 10);
            if (field == 15) st = strtoul(s + 1, NULL, 10);
        }
    }
    return ut + st;
}

static double rnd01(void) { return (rand_r(&o_seed) + 1.0) / ((double)RAND_MAX + 2.0); }

/* ------------------------------------------------------------------ sending */
static void enqueue(struct conn *c, const char *payload, size_t len) {
    /* --write-now: a step's message goes out at once when nothing is queued and the socket takes it, instead of
     * waiting for a WRITEABLE callback (which costs two epoll_ctl calls and a loop turn per message: a third of
     * the generator's syscalls). Not while lws holds the rest of a partial send (lws_partial_buffered): lws then
     * asks for WRITEABLE itself and the queue takes over. */
    if (o_write_now && phase == P_STEP && c->wsi && c->state >= 3 && !c->qhead && len <= 1024 &&
        !lws_partial_buffered(c->wsi)) {
        unsigned char buf[LWS_PRE + 1024];
        memcpy(buf + LWS_PRE, payload, len);
        if (lws_write(c->wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT) >= (int)len) return;
        C.errors++;  /* the connection is broken: counted, and the step fails */
        return;
    }
    struct outmsg *m = malloc(sizeof *m + LWS_PRE + len);
    if (!m) return;
    m->next = NULL;
    m->len = len;
    memcpy(m->buf + LWS_PRE, payload, len);
    if (c->qtail) c->qtail->next = m; else c->qhead = m;
    c->qtail = m;
    c->qlen++;
    if (c->wsi) lws_callback_on_writable(c->wsi);
}

static struct session *get_sess(long sid) {
    if (sid <= 0) return NULL;
    if (sid >= nsess_cap) {
        int ncap = nsess_cap * 2;
        while (ncap <= sid) ncap *= 2;
        sess = realloc(sess, sizeof(struct session) * ncap);
        for (int i = nsess_cap; i < ncap; i++) { memset(&sess[i], 0, sizeof sess[i]); sess[i].cust = sess[i].agent = -1; sess[i].exp_k[1] = 1; }
        nsess_cap = ncap;
    }
    return &sess[sid];
}

static void send_message(long sid, int64_t intended) {
    struct session *s = &sess[sid];
    uint32_t k = s->next_k++;
    int dir = k & 1; /* 0 customer->agent, 1 agent->customer */
    struct conn *c = &conns[dir ? s->agent : s->cust];
    char text[512], frame[768];
    int tl = snprintf(text, sizeof text, "T%lld:%u:", (long long)intended, k);
    int want = o_msg_bytes > (int)sizeof text - 1 ? (int)sizeof text - 1 : o_msg_bytes;
    while (tl < want) { text[tl] = (char)('a' + (tl % 26)); tl++; }
    text[tl] = 0;
    int fl = snprintf(frame, sizeof frame,
                      "{\"type\":\"send\",\"sessionId\":%ld,\"clientId\":\"m%u.%lld\",\"text\":\"%s\"}", sid, k,
                      (long long)intended, text);
    s->sent[dir]++;
    C.sent++;
    enqueue(c, frame, (size_t)fl);
}

static void tick_cb(struct lws_sorted_usec_list *sul) {
    (void)sul;
    if (phase != P_STEP) return;
    int64_t now = mono_ns();
    int budget = 100000; /* bounded per tick */
    while (next_arrival <= now && next_arrival < step_send_end && budget-- > 0) {
        long sid = active_sids[rand_r(&o_seed) % nactive];
        send_message(sid, next_arrival);
        next_arrival += (int64_t)(-log(rnd01()) / cur_rate * 1e9);
    }
    if (next_arrival < step_send_end) {
        int64_t wait_us = (next_arrival - mono_ns()) / 1000;
        if (wait_us < 0) wait_us = 0;
        lws_sul_schedule(ctx, 0, &sul_tick, tick_cb, wait_us);
    }
}

/* --cheap-mask 1: lws asks for 4 random bytes per client frame (the WebSocket mask) and reads them from
 * /dev/urandom, one read() per message sent. The generator's masks need no secrecy: with this option they come
 * from a xorshift generator. This definition replaces lws's (the library calls it through its PLT; the binary
 * exports it: link with -Wl,--export-dynamic-symbol=lws_get_random). Without the option it reads /dev/urandom
 * as lws does. */
size_t lws_get_random(struct lws_context *context, void *buf, size_t len) {
    (void)context;
    if (o_cheap_mask) {
        static uint64_t x = 0x9e3779b97f4a7c15ULL;
        unsigned char *b = buf;
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            b[i] = (unsigned char)x;
        }
        return len;
    }
    static int fd = -1;
    if (fd < 0) fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    return fd < 0 ? 0 : (size_t)read(fd, buf, len);
}

/* ------------------------------------------------------------------ parsing helpers */
static long num_after(const char *s, const char *key) {
    const char *p = strstr(s, key);
    if (!p) return -1;
    return strtol(p + strlen(key), NULL, 10);
}

static void hist_add(uint32_t *h, uint64_t *n, int64_t lat_ns) {
    int64_t b = lat_ns / HRES_NS;
    if (b < 0) b = 0;
    if (b >= HBUCKETS) b = HBUCKETS - 1;
    h[b]++;
    (*n)++;
}

static double hist_pct(uint32_t *h, uint64_t n, double q) {
    if (!n) return 0;
    uint64_t target = (uint64_t)ceil(q * n), acc = 0;
    if (target < 1) target = 1;
    for (int i = 0; i < HBUCKETS; i++) {
        acc += h[i];
        if (acc >= target) return (i + 1) * HRES_NS / 1e6; /* upper bound of bucket, ms */
    }
    return HBUCKETS * HRES_NS / 1e6;
}

/* A seq'd event or ack for (sid, side). */
static void check_seq(struct session *s, int side, long seq) {
    if (phase == P_STEP || phase == P_DRAIN) {
        if (s->last_seq[side] && seq != s->last_seq[side] + 1) {
            if (seq <= s->last_seq[side]) C.seq_dup++;
            else C.seq_gap++;
        }
    }
    if (seq > s->last_seq[side]) s->last_seq[side] = seq;
}

/* The ack of message k sent at ns: acks carry only clientId, sessionId, seq and at, so the clientId says both. */
static void on_ack(struct session *s, unsigned k, long long ns) {
    s->acked[k & 1]++;
    C.acked++;
    hist_add(hist_ack, &hist_ack_n, mono_ns() - ns);
}

static void on_message_text(struct session *s, int recv_side, const char *text) {
    /* text: T<ns>:<k>: */
    if (text[0] != 'T') return;
    char *e;
    long long ns = strtoll(text + 1, &e, 10);
    unsigned k = (unsigned)strtoul(e + 1, NULL, 10);
    int dir = k & 1;
    int64_t lat = mono_ns() - ns;
    /* the receiving side of direction 0 (cust->agent) is the agent (1) */
    if ((dir == 0 && recv_side != 1) || (dir == 1 && recv_side != 0)) { C.k_order++; return; }
    if (k != s->exp_k[dir]) C.k_order++;
    s->exp_k[dir] = k + 2;
    s->recv[dir]++;
    C.delivered++;
    hist_add(hist, &hist_n, lat);
    if (trace_file) fprintf(trace_file, "%lld %lld\n", ns, (long long)(lat / 1000));
    double ms = lat / 1e6;
    if (ms > max_lat_ms) max_lat_ms = ms;
}

static void handle_frame(struct conn *c, char *f) {
    int side = c->is_agent ? 1 : 0;
    if (strncmp(f, "{\"type\":\"", 9) != 0) return;
    const char *t = f + 9;
    if (!strncmp(t, "event\"", 6)) {
        long sid = num_after(f, "\"sessionId\":");
        long seq = num_after(f, "\"seq\":");
        struct session *s = get_sess(sid);
        if (!s) return;
        if (c->is_agent && s->agent < 0) {
            s->agent = c->idx;
            if (s->cust >= 0) nassigned++;
        }
        check_seq(s, side, seq);
        if (strstr(f, "\"kind\":\"message\"")) {
            const char *tx = strstr(f, "\"text\":\"");
            if (tx) on_message_text(s, side, tx + 8);
        } else C.events_other++;
    } else if (!strncmp(t, "ack\"", 4)) {
        long sid = num_after(f, "\"sessionId\":");
        long seq = num_after(f, "\"seq\":");
        struct session *s = get_sess(sid);
        if (!s) return;
        const char *cid = strstr(f, "\"clientId\":\"");
        if (cid && cid[12] == 'r') { /* request_chat ack */
            if (s->cust < 0) {
                s->cust = c->idx;
                active_sids[nactive++] = (int)sid;
                if (s->agent >= 0) nassigned++;
            }
            check_seq(s, side, seq);
            return;
        }
        check_seq(s, side, seq);
        /* clientId "m<k>.<intended ns>" (see send_message) */
        char *e = NULL;
        unsigned k = cid && cid[12] == 'm' ? (unsigned)strtoul(cid + 13, &e, 10) : 0;
        if (e && *e == '.') on_ack(s, k, strtoll(e + 1, NULL, 10));
        else C.errors++;
    } else if (!strncmp(t, "session\"", 8)) {
        if (c->is_agent) {
            long sid = num_after(f, "\"session\":{\"id\":");
            struct session *s = get_sess(sid);
            if (s && s->agent < 0 && strstr(f, "\"state\":\"active\"")) {
                s->agent = c->idx;
                if (s->cust >= 0) nassigned++;
            }
        }
    } else if (!strncmp(t, "welcome\"", 8)) {
        if (c->state < 3) {
            c->state = 3;
            nwelcomed++;
            if (nwelcomed + nfailed == nconns) t_all_welcomed = mono_ns();
            if (!strcmp(o_mode, "chat")) {
                char buf[256];
                int n;
                if (c->is_agent) n = snprintf(buf, sizeof buf, "{\"type\":\"set_status\",\"status\":\"available\"}");
                else n = -1;
                if (n > 0) enqueue(c, buf, (size_t)n);
            }
        }
    } else if (!strncmp(t, "status\"", 7)) {
        if (c->is_agent && strstr(f, "available") && c->state == 3) { c->state = 4; nready++; }
    } else if (!strncmp(t, "error\"", 6)) {
        C.errors++;
        if (C.errors <= 5) fprintf(stderr, "gen: error frame on conn %d: %.300s\n", c->idx, f);
    }
}

/* ------------------------------------------------------------------ lws */
static void start_connect(int i);

static int cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    (void)user;
    struct conn *c = (struct conn *)lws_get_opaque_user_data(wsi);
    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (c) {
            if (nfailed < 5) fprintf(stderr, "gen: connect error conn %d: %s\n", c->idx, in ? (char *)in : "?");
            if (c->state < 3) { nfailed++; inflight--; }
            c->state = 9;
            c->wsi = NULL;
        }
        break;
    case LWS_CALLBACK_CLIENT_ESTABLISHED: {
        if (!c) break;
        c->state = 2;
        inflight--;
        char buf[2048];
        int n = snprintf(buf, sizeof buf, "{\"type\":\"hello\",\"token\":\"%s\"}", c->token);
        enqueue(c, buf, (size_t)n);
        break;
    }
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (!c) break;
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
            handle_frame(c, c->rx);
            c->rxlen = 0;
            if (c->rxcap > 65536) { free(c->rx); c->rx = NULL; c->rxcap = 0; }
        }
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        if (!c || !c->qhead) break;
        struct outmsg *m = c->qhead;
        if (lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT) < (int)m->len) return -1;
        c->qhead = m->next;
        if (!c->qhead) c->qtail = NULL;
        c->qlen--;
        free(m);
        if (c->qhead) lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (c && len >= 2 && C.closed < 5 && phase != P_DONE)
            fprintf(stderr, "gen: conn %d: peer close code %d %.*s\n", c->idx, ((unsigned char *)in)[0] << 8 | ((unsigned char *)in)[1],
                    (int)len - 2, (char *)in + 2);
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (c) {
            if (c->state >= 2) C.closed++;
            if (C.closed <= 5 && phase != P_DONE) fprintf(stderr, "gen: conn %d closed by peer\n", c->idx);
            c->state = 9;
            c->wsi = NULL;
        }
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"gen", cb, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static char src_addrs[256][24];

static void start_connect(int i) {
    struct conn *c = &conns[i];
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = ctx;
    ci.address = o_host;
    ci.port = o_port;
    if (c->is_agent && o_naports) ci.port = o_aports[c->idx % o_naports];
    else if (!c->is_agent && o_ncports) ci.port = o_cports[(c->idx - nagents) % o_ncports];
    ci.path = "/ws";
    ci.host = o_host;
    ci.origin = o_host;
    ci.local_protocol_name = "gen";
    ci.opaque_user_data = c;
    ci.pwsi = &c->wsi;
    if (o_nsrc > 1) ci.iface = src_addrs[i % o_nsrc];
    c->state = 1;
    inflight++;
    if (!lws_client_connect_via_info(&ci)) {
        if (c->state == 1) { inflight--; nfailed++; c->state = 9; }
    }
}

/* ------------------------------------------------------------------ control */
static void start_step(double rate);
static void finish_and_exit(void);
static void control_poll(void);

static void control_report(const char *kind, double rate, double dur);

static void write_step(const char *kind, double rate, double dur) {
    if (o_control) { control_report(kind, rate, dur); return; }
    uint64_t sent = C.sent - snap_sent, deliv = C.delivered - snap_deliv, acked = C.acked - snap_acked;
    uint64_t lost = 0, unacked = 0;
    for (int i = 0; i < nactive; i++) {
        struct session *s = &sess[active_sids[i]];
        for (int d = 0; d < 2; d++) {
            if (s->sent[d] > s->recv[d]) lost += s->sent[d] - s->recv[d];
            if (s->sent[d] > s->acked[d]) unacked += s->sent[d] - s->acked[d];
        }
    }
    /* lost/unacked are cumulative; each step must end with zero to be valid, so cumulative == this step's */
    double gen_cpu = gen_cpu_s / (double)sysconf(_SC_CLK_TCK) / ((step_send_end - step_start) / 1e9);
    double srv_cpu_sec = srv_cpu_s / (double)sysconf(_SC_CLK_TCK);
    double p50 = hist_pct(hist, hist_n, 0.50), p99 = hist_pct(hist, hist_n, 0.99), p999 = hist_pct(hist, hist_n, 0.999);
    double a50 = hist_pct(hist_ack, hist_ack_n, 0.50), a99 = hist_pct(hist_ack, hist_ack_n, 0.99);
    uint64_t errs = C.seq_dup + C.seq_gap + C.k_order;
    int ok = p99 < o_max_p99_ms && lost == 0 && unacked == 0 && errs == 0 && C.errors == err_snapshot && C.closed == 0;
    int gen_ok = gen_cpu < o_max_gen_cpu;
    fprintf(stderr,
            "gen[%s] %s rate=%.0f sent=%llu delivered=%llu (%.0f/s) acked=%llu p50=%.2fms p99=%.2fms p99.9=%.2fms "
            "max=%.1fms lost=%llu unacked=%llu dup=%llu gap=%llu order=%llu errframes=%llu gen_cpu=%.0f%% srv_cpu=%.2fs %s%s\n",
            o_label, kind, rate, (unsigned long long)sent, (unsigned long long)deliv, deliv / dur, (unsigned long long)acked,
            p50, p99, p999, max_lat_ms, (unsigned long long)lost, (unsigned long long)unacked, (unsigned long long)C.seq_dup,
            (unsigned long long)C.seq_gap, (unsigned long long)C.k_order, (unsigned long long)(C.errors - err_snapshot),
            gen_cpu * 100, srv_cpu_sec, ok ? "PASS" : "FAIL", gen_ok ? "" : " (generator-bound: step does not count)");
    fprintf(out,
            "%s{\"kind\":\"%s\",\"target_rate\":%.1f,\"seconds\":%.3f,\"sent\":%llu,\"delivered\":%llu,\"acked\":%llu,"
            "\"delivered_per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,"
            "\"ack_p50_ms\":%.3f,\"ack_p99_ms\":%.3f,\"lost\":%llu,\"unacked\":%llu,\"seq_dup\":%llu,\"seq_gap\":%llu,"
            "\"order_errors\":%llu,\"error_frames\":%llu,\"closed\":%llu,\"gen_cpu\":%.4f,\"server_cpu_s\":%.3f,"
            "\"server_cpu_s_per_1000\":%.5f,\"pass\":%s,\"gen_cpu_ok\":%s}",
            steps_written++ ? ",\n" : "", kind, rate, dur, (unsigned long long)sent, (unsigned long long)deliv,
            (unsigned long long)acked, deliv / dur, p50, p99, p999, max_lat_ms, a50, a99, (unsigned long long)lost,
            (unsigned long long)unacked, (unsigned long long)C.seq_dup, (unsigned long long)C.seq_gap,
            (unsigned long long)C.k_order, (unsigned long long)(C.errors - err_snapshot), (unsigned long long)C.closed,
            gen_cpu, srv_cpu_sec, deliv ? srv_cpu_sec * 1000.0 / deliv : 0, ok ? "true" : "false",
            gen_ok ? "true" : "false");
    fflush(out);
    if (!final_run) {
        if (ok && gen_ok) best_rate = rate;
        if (!ok || !gen_ok || step_idx + 1 >= o_nrates) {
            if (best_rate > 0 && o_final_fraction > 0) {
                final_run = 1;
                start_step(best_rate * o_final_fraction);
            } else phase = P_DONE;
        } else {
            step_idx++;
            start_step(o_rates[step_idx]);
        }
    } else phase = P_DONE;
}

static void start_step(double rate) {
    memset(hist, 0, sizeof(uint32_t) * HBUCKETS);
    memset(hist_ack, 0, sizeof(uint32_t) * HBUCKETS);
    hist_n = hist_ack_n = 0;
    max_lat_ms = 0;
    snap_sent = C.sent; snap_deliv = C.delivered; snap_acked = C.acked;
    err_snapshot = C.errors;
    cur_rate = rate;
    srv_cpu0 = proc_cpu_ticks(o_server_pid);
    gen_cpu0 = proc_cpu_ticks(0);
    step_start = mono_ns();
    if (o_control && control_start_ns > step_start) step_start = control_start_ns;  /* all processes together */
    step_send_end = step_start + (int64_t)((final_run ? o_final_s : o_step_s) * 1e9);
    next_arrival = step_start + (int64_t)(-log(rnd01()) / rate * 1e9);
    phase = P_STEP;
    lws_sul_schedule(ctx, 0, &sul_tick, tick_cb, 0);
}

static int all_settled(void) {
    if (C.sent - snap_sent == 0) return 1;
    uint64_t want = C.sent;
    (void)want;
    for (int i = 0; i < nactive; i++) {
        struct session *s = &sess[active_sids[i]];
        if (s->recv[0] < s->sent[0] || s->recv[1] < s->sent[1]) return 0;
        if (s->acked[0] < s->sent[0] || s->acked[1] < s->sent[1]) return 0;
    }
    return 1;
}

static void ctl_cb(struct lws_sorted_usec_list *sul) {
    (void)sul;
    int64_t now = mono_ns();
    if (stop_flag || now > hard_end) {
        if (now > hard_end) fprintf(stderr, "gen: hard time limit reached\n");
        phase = P_DONE;
        finish_and_exit();
    }
    switch (phase) {
    case P_CONNECT:
        while (next_connect < nconns && inflight < o_inflight) {
            /* chat mode: agents first; customers once every agent is available */
            if (!strcmp(o_mode, "chat") && !conns[next_connect].is_agent && nready + nfailed < nagents) break;
            start_connect(next_connect++);
        }
        if (!strcmp(o_mode, "chat")) {
            /* customers request a chat once welcomed */
            for (int i = nagents; i < nconns; i++) {
                struct conn *c = &conns[i];
                if (c->state == 3) {
                    char buf[256];
                    int n = snprintf(buf, sizeof buf,
                                     "{\"type\":\"request_chat\",\"product\":\"pressero\",\"subject\":\"Bench %d\","
                                     "\"text\":\"hello\",\"clientId\":\"r%d\"}", i, i);
                    enqueue(c, buf, (size_t)n);
                    c->state = 4;
                    nready++;
                }
            }
            if (nfailed) { fprintf(stderr, "gen: %d connections failed during set-up\n", nfailed); phase = P_DONE; break; }
            if (nassigned >= ncust && nactive >= ncust) {
                t_setup_done = now;
                double secs = (t_all_welcomed - t_connect_start) / 1e9;
                fprintf(stderr, "gen[%s] set-up: %d connections welcomed in %.2fs (%.0f/s); %d sessions assigned after %.2fs\n",
                        o_label, nconns, secs, nconns / secs, nactive, (now - t_connect_start) / 1e9);
                fprintf(out, "{\"label\":\"%s\",\"mode\":\"chat\",\"customers\":%d,\"agents\":%d,"
                             "\"connections\":%d,\"connect_seconds\":%.3f,\"connections_per_s\":%.1f,"
                             "\"setup_seconds\":%.3f,\"steps\":[\n",
                        o_label, ncust, nagents, nconns, secs, nconns / secs, (now - t_connect_start) / 1e9);
                /* let set-up traffic (queue/agents broadcasts) settle */
                phase = P_SETUP;
                phase_deadline = now + 500000000LL;
            }
        } else if (nwelcomed + nfailed >= nconns) {
            double secs = (t_all_welcomed - t_connect_start) / 1e9;
            printf("READY connected=%d failed=%d seconds=%.3f per_s=%.1f\n", nwelcomed, nfailed, secs, nwelcomed / secs);
            fflush(stdout);
            fprintf(out, "{\"label\":\"%s\",\"mode\":\"idle\",\"connections\":%d,\"failed\":%d,\"connect_seconds\":%.3f,"
                         "\"connections_per_s\":%.1f}\n", o_label, nwelcomed, nfailed, secs, nwelcomed / secs);
            fflush(out);
            phase = P_IDLE_HOLD;
            phase_deadline = now + (int64_t)(o_hold_s * 1e9);
        }
        if (phase == P_CONNECT && now - t_connect_start > (int64_t)(o_setup_s * 1e9)) {
            fprintf(stderr, "gen: set-up timed out: welcomed=%d/%d failed=%d assigned=%d/%d\n", nwelcomed, nconns,
                    nfailed, nassigned, ncust);
            if (!strcmp(o_mode, "idle")) printf("FAILED welcomed=%d\n", nwelcomed), fflush(stdout);
            phase = P_DONE;
        }
        break;
    case P_SETUP:
        if (o_control && now >= phase_deadline) {
            printf("READY {\"connections\":%d,\"customers\":%d,\"agents\":%d,\"connect_seconds\":%.3f,"
                   "\"setup_seconds\":%.3f}\n", nconns, ncust, nagents, (t_all_welcomed - t_connect_start) / 1e9,
                   (t_setup_done - t_connect_start) / 1e9);
            fflush(stdout);
            phase = P_WAIT;
            break;
        }
        if (now >= phase_deadline) {
            if (o_nrates == 0) { phase = P_DONE; break; }
            step_idx = 0;
            start_step(o_rates[0]);
        }
        break;
    case P_STEP:
        if (now >= step_send_end) {
            gen_cpu_s = proc_cpu_ticks(0) - gen_cpu0;
            phase = P_DRAIN;
            phase_deadline = now + (int64_t)(o_drain_s * 1e9);
        }
        break;
    case P_DRAIN:
        if (all_settled() || now >= phase_deadline) {
            srv_cpu_s = proc_cpu_ticks(o_server_pid) - srv_cpu0;
            write_step(final_run ? "final" : "step", cur_rate, (step_send_end - step_start) / 1e9);
        }
        break;
    case P_IDLE_HOLD:
        if (now >= phase_deadline) phase = P_DONE;
        break;
    case P_WAIT:
        control_poll();
        break;
    default:
        break;
    }
    if (phase != P_DONE) lws_sul_schedule(ctx, 0, &sul_ctl, ctl_cb, phase == P_CONNECT ? 2000 : 10000);
    else finish_and_exit();
}

/* ------------------------------------------------------------------ --control stdin */
static void print_hist(const char *name, const uint32_t *h) {
    printf(",\"%s\":[", name);
    int first = 1;
    for (int i = 0; i < HBUCKETS; i++)
        if (h[i]) { printf(first ? "[%d,%u]" : ",[%d,%u]", i, h[i]); first = 0; }
    printf("]");
}

/* One line per step for the driver: raw counters (the driver sums them over processes) and the histograms. */
static void control_report(const char *kind, double rate, double dur) {
    uint64_t lost = 0, unacked = 0;
    for (int i = 0; i < nactive; i++) {
        struct session *s = &sess[active_sids[i]];
        for (int d = 0; d < 2; d++) {
            if (s->sent[d] > s->recv[d]) lost += s->sent[d] - s->recv[d];
            if (s->sent[d] > s->acked[d]) unacked += s->sent[d] - s->acked[d];
        }
    }
    printf("STEP {\"kind\":\"%s\",\"rate\":%.1f,\"seconds\":%.3f,\"sent\":%llu,\"delivered\":%llu,\"acked\":%llu,"
           "\"lost\":%llu,\"unacked\":%llu,\"seq_dup\":%llu,\"seq_gap\":%llu,\"order_errors\":%llu,"
           "\"error_frames\":%llu,\"closed\":%llu,\"max_ms\":%.3f,\"gen_cpu_s\":%.3f",
           kind, rate, dur, (unsigned long long)(C.sent - snap_sent), (unsigned long long)(C.delivered - snap_deliv),
           (unsigned long long)(C.acked - snap_acked), (unsigned long long)lost, (unsigned long long)unacked,
           (unsigned long long)C.seq_dup, (unsigned long long)C.seq_gap, (unsigned long long)C.k_order,
           (unsigned long long)(C.errors - err_snapshot), (unsigned long long)C.closed, max_lat_ms,
           gen_cpu_s / (double)sysconf(_SC_CLK_TCK));
    print_hist("hist", hist);
    print_hist("hist_ack", hist_ack);
    printf("}\n");
    fflush(stdout);
    steps_written++;
    phase = P_WAIT;
}

/* Reads stdin (non-blocking) for the next command; called from the control timer. */
static void control_poll(void) {
    static char buf[512];
    static size_t have;
    ssize_t n = read(0, buf + have, sizeof buf - 1 - have);
    if (n == 0) { phase = P_DONE; return; }  /* the driver went away */
    if (n < 0) return;                      /* EAGAIN: nothing yet */
    have += (size_t)n;
    buf[have] = 0;
    char *nl = strchr(buf, '\n');
    if (!nl) { if (have >= sizeof buf - 1) have = 0; return; }
    *nl = 0;
    char kind[16] = "";
    double rate = 0, secs = 0;
    long long start = 0;
    if (!strncmp(buf, "quit", 4)) phase = P_DONE;
    else if (sscanf(buf, "step %15s %lf %lf %lld", kind, &rate, &secs, &start) == 4 && rate > 0 && secs > 0) {
        final_run = !strcmp(kind, "final");
        if (final_run) o_final_s = secs; else o_step_s = secs;
        control_start_ns = start;
        start_step(rate);
    } else fprintf(stderr, "gen: unknown command: %s\n", buf);
    have -= (size_t)(nl + 1 - buf);
    memmove(buf, nl + 1, have + 1);
}

static void finish_and_exit(void) {
    int rc = 0;
    if (!strcmp(o_mode, "chat")) {
        if (steps_written) {
            fprintf(out, "\n],\"best_rate\":%.1f,\"totals\":{\"sent\":%llu,\"delivered\":%llu,\"acked\":%llu,\"seq_dup\":%llu,"
                         "\"seq_gap\":%llu,\"order_errors\":%llu,\"error_frames\":%llu,\"closed\":%llu}}\n",
                    best_rate, (unsigned long long)C.sent, (unsigned long long)C.delivered, (unsigned long long)C.acked,
                    (unsigned long long)C.seq_dup, (unsigned long long)C.seq_gap, (unsigned long long)C.k_order,
                    (unsigned long long)C.errors, (unsigned long long)C.closed);
        } else {
            fprintf(out, "{\"label\":\"%s\",\"mode\":\"chat\",\"failed\":true,\"welcomed\":%d,\"assigned\":%d}\n", o_label,
                    nwelcomed, nassigned);
            rc = 1;
        }
    }
    fflush(out);
    if (out != stdout) fclose(out);
    if (trace_file) fclose(trace_file);
    /* With an event-library loop lws_service() does not return on its own; the OS closes the sockets. */
    _exit(rc);
}

static char **read_lines(const char *path, int *n) {
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); exit(2); }
    int cap = 1024, cnt = 0;
    char **v = malloc(sizeof(char *) * cap);
    char *line = NULL;
    size_t lc = 0;
    ssize_t r;
    while ((r = getline(&line, &lc, f)) > 0) {
        while (r > 0 && (line[r - 1] == '\n' || line[r - 1] == '\r')) line[--r] = 0;
        if (!r) continue;
        if (cnt == cap) v = realloc(v, sizeof(char *) * (cap *= 2));
        v[cnt++] = strdup(line);
    }
    free(line);
    fclose(f);
    *n = cnt;
    return v;
}

static void on_signal(int s) { (void)s; stop_flag = 1; if (!strcmp(o_mode, "idle")) _exit(0); }

static void usage(void) {
    fprintf(stderr, "usage: gen --port P --customers FILE [--agents FILE] [--mode chat|idle] [--rates r1,r2,...]\n"
                    "  [--customer-ports P1,P2,...] [--agent-ports P1,P2,...]\n"
                    "  [--step-seconds S] [--final-seconds S] [--drain-seconds S] [--setup-seconds S] [--hold S]\n"
                    "  [--max-p99-ms MS] [--max-gen-cpu F] [--final-fraction F] [--server-pid PID] [--src-addrs K]\n"
                    "  [--inflight N] [--msg-bytes B] [--out FILE] [--label L] [--count N] [--evlib ev|uv|poll]\n"
                    "  [--control stdin] [--write-now 0|1] [--cheap-mask 0|1]\n");
    exit(2);
}

int main(int argc, char **argv) {
    int count = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (!strcmp(a, name) && v && (i++, 1))
        if (OPT("--host")) o_host = v;
        else if (OPT("--port")) o_port = atoi(v);
        else if (OPT("--customer-ports")) o_ncports = parse_ports(v, o_cports);
        else if (OPT("--agent-ports")) o_naports = parse_ports(v, o_aports);
        else if (OPT("--mode")) o_mode = v;
        else if (OPT("--customers")) o_customers = v;
        else if (OPT("--agents")) o_agents = v;
        else if (OPT("--rates")) {
            char *dup = strdup(v), *save = NULL;
            for (char *t = strtok_r(dup, ",", &save); t && o_nrates < MAXSTEPS; t = strtok_r(NULL, ",", &save))
                o_rates[o_nrates++] = atof(t);
        } else if (OPT("--step-seconds")) o_step_s = atof(v);
        else if (OPT("--final-seconds")) o_final_s = atof(v);
        else if (OPT("--drain-seconds")) o_drain_s = atof(v);
        else if (OPT("--setup-seconds")) o_setup_s = atof(v);
        else if (OPT("--hold")) o_hold_s = atof(v);
        else if (OPT("--max-p99-ms")) o_max_p99_ms = atof(v);
        else if (OPT("--max-gen-cpu")) o_max_gen_cpu = atof(v);
        else if (OPT("--final-fraction")) o_final_fraction = atof(v);
        else if (OPT("--server-pid")) o_server_pid = atoi(v);
        else if (OPT("--src-addrs")) o_nsrc = atoi(v);
        else if (OPT("--inflight")) o_inflight = atoi(v);
        else if (OPT("--msg-bytes")) o_msg_bytes = atoi(v);
        else if (OPT("--out")) o_out = v;
        else if (OPT("--trace")) { trace_file = fopen(v, "w"); if (!trace_file) { perror(v); return 2; } }
        else if (OPT("--label")) o_label = v;
        else if (OPT("--count")) count = atoi(v);
        else if (OPT("--evlib")) o_evlib = v;
        else if (OPT("--control")) o_control = !strcmp(v, "stdin");
        else if (OPT("--write-now")) o_write_now = atoi(v);
        else if (OPT("--cheap-mask")) o_cheap_mask = atoi(v);
        else usage();
    }
    if (!o_port || !o_customers) usage();
    if (o_nsrc < 1) o_nsrc = 1;
    if (o_nsrc > 250) o_nsrc = 250;
    for (int i = 0; i < o_nsrc; i++) snprintf(src_addrs[i], sizeof src_addrs[i], "127.0.0.%d", i + 1);
    out = o_out ? fopen(o_out, "w") : stdout;
    if (!out) { perror(o_out); return 2; }

    int nc = 0, na = 0;
    char **ctok = read_lines(o_customers, &nc);
    char **atok = NULL;
    if (count >= 0 && count < nc) nc = count;
    if (!strcmp(o_mode, "chat")) {
        if (!o_agents) usage();
        atok = read_lines(o_agents, &na);
        int need = (nc + 2) / 3;
        if (na < need) { fprintf(stderr, "gen: need %d agent tokens for %d customers, have %d\n", need, nc, na); return 2; }
        na = need;
    }
    ncust = nc;
    nagents = na;
    nconns = na + nc;
    conns = calloc(nconns, sizeof *conns);
    for (int i = 0; i < nconns; i++) {
        conns[i].idx = i;
        conns[i].is_agent = i < na;
        conns[i].token = i < na ? atok[i] : ctok[i - na];
    }
    nsess_cap = 1024;
    while (nsess_cap < 4 * ncust + 16) nsess_cap *= 2;
    sess = calloc(nsess_cap, sizeof *sess);
    for (int i = 0; i < nsess_cap; i++) { sess[i].cust = sess[i].agent = -1; sess[i].exp_k[1] = 1; }
    active_sids = calloc(ncust + 1, sizeof(int));
    hist = calloc(HBUCKETS, sizeof(uint32_t));
    hist_ack = calloc(HBUCKETS, sizeof(uint32_t));

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    lws_set_log_level(LLL_ERR, NULL);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.fd_limit_per_thread = (unsigned)(nconns + 64);
    info.timeout_secs = 30;
    /* lws's default loop is poll(): O(connections) per wake-up. With one wake-up per message that dominated the
     * generator's CPU, so use an epoll-based event library plugin. */
    if (!strcmp(o_evlib, "ev")) info.options |= LWS_SERVER_OPTION_LIBEV;
    else if (!strcmp(o_evlib, "uv")) info.options |= LWS_SERVER_OPTION_LIBUV;
    ctx = lws_create_context(&info);
    if (!ctx) { fprintf(stderr, "gen: lws_create_context failed\n"); return 1; }

    t_connect_start = mono_ns();
    lws_sul_schedule(ctx, 0, &sul_ctl, ctl_cb, 0);
    /* Bounded: every phase has a deadline; the outer bound is a hard cap on wall time. */
    hard_end = t_connect_start +
                       (int64_t)((o_setup_s + o_hold_s + (o_nrates + 1) * (o_step_s + o_drain_s + 1) + o_final_s + 30) * 1e9);
    if (o_control) {
        hard_end = t_connect_start + (int64_t)((o_setup_s + 7200) * 1e9);  /* the driver bounds the steps */
        fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    }
    while (phase != P_DONE && !stop_flag && mono_ns() < hard_end) lws_service(ctx, 0);

    finish_and_exit();
    return 0;
}
