/*
 * busbench: one publisher, one subscriber, on loopback, for the buses cluster mode may use between nodes:
 *   pg       PostgreSQL LISTEN/NOTIFY, publisher `SELECT pg_notify('ch', $1)` in autocommit (one commit each)
 *   pg-b50   the same, 50 notifies per transaction (BEGIN; 50 x pg_notify; COMMIT)
 *   redis    Redis PUBLISH/SUBSCRIBE (publisher pipelines 100 PUBLISH per round trip in the throughput test)
 * For each bus and payload size it measures
 *   throughput: the publisher sends as fast as it can for SECONDS, never more than WINDOW messages ahead of what the
 *               subscriber has received (so the figure is what is delivered continuously, not what piles up in a
 *               buffer); messages/s = received / (last receive - first send); lost = sent - received.
 *   latency:    the publisher sends at a fixed RATE for SECONDS (one message at a time, no pipelining); each payload
 *               carries its CLOCK_MONOTONIC send time; the subscriber records receive - send (one-way) per message.
 * and prints markdown table rows. `busbench limit` shows NOTIFY's payload limit.
 *
 * Usage: busbench [--seconds S] [--rate R] [--sizes 200,2000] [--buses pg,pg-b50,redis]   (URLs from
 *        CHATD_TEST_POSTGRES_URL, CHATD_TEST_REDIS_URL)
 *        busbench limit
 */
#define _GNU_SOURCE
#include <errno.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#define WINDOW 10000
#define BATCH 50
#define PIPELINE 100

static const char *pg_url, *redis_url;
static double seconds = 3.0;
static double rate = 5000.0;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until(int64_t t) {
    struct timespec ts = {.tv_sec = t / 1000000000LL, .tv_nsec = t % 1000000000LL};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
}

static void die(const char *what, const char *detail) {
    fprintf(stderr, "busbench: %s: %s\n", what, detail ? detail : "");
    exit(1);
}

/* payload: "<seq>:<send ns>:" padded with 'x' to exactly size bytes (text: NOTIFY payloads are text) */
static void make_payload(char *buf, size_t size, uint64_t seq, int64_t t) {
    int n = snprintf(buf, size + 1, "%llu:%lld:", (unsigned long long)seq, (long long)t);
    memset(buf + n, 'x', size - (size_t)n);
    buf[size] = 0;
}

static int parse_payload(const char *p, uint64_t *seq, int64_t *t) {
    unsigned long long s;
    long long tt;
    if (sscanf(p, "%llu:%lld:", &s, &tt) != 2) return -1;
    *seq = s;
    *t = tt;
    return 0;
}

/* ------------------------------------------------------------------------------------------------ shared state */

enum bus { BUS_PG, BUS_PG_BATCH, BUS_REDIS };
static const char *bus_names[] = {"pg", "pg-b50", "redis"};

typedef struct {
    enum bus bus;
    size_t size;
    int latency_mode;             /* 0: throughput, 1: fixed rate */
    char channel[64];
    atomic_int subscribed;
    atomic_int publisher_done;
    atomic_ullong sent;
    atomic_ullong received;
    atomic_ullong out_of_order;
    int64_t first_send, last_recv;
    int64_t *lat;                 /* latency per message (latency mode) */
    size_t lat_cap;
} run_t;

/* ------------------------------------------------------------------------------------------------ PostgreSQL */

static PGconn *pg_connect(void) {
    PGconn *c = PQconnectdb(pg_url);
    if (PQstatus(c) != CONNECTION_OK) die("PQconnectdb", PQerrorMessage(c));
    return c;
}

static void pg_exec_ok(PGconn *c, const char *sql) {
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) die(sql, PQerrorMessage(c));
    PQclear(r);
}

static void record(run_t *r, uint64_t seq, int64_t t_sent, uint64_t *expect) {
    int64_t t = now_ns();
    if (seq != *expect) atomic_fetch_add(&r->out_of_order, 1);
    *expect = seq + 1;
    if (r->latency_mode && seq < r->lat_cap) r->lat[seq] = t - t_sent;
    r->last_recv = t;
    atomic_fetch_add(&r->received, 1);
}

/* the subscriber stops when everything sent has arrived, or 10 s after the publisher finished */
static int subscriber_should_stop(run_t *r, int64_t *done_at) {
    if (!atomic_load(&r->publisher_done)) return 0;
    if (atomic_load(&r->received) >= atomic_load(&r->sent)) return 1;
    if (*done_at == 0) *done_at = now_ns();
    return now_ns() - *done_at > 10000000000LL;
}

static void *pg_subscriber(void *arg) {
    run_t *r = arg;
    PGconn *c = pg_connect();
    char sql[128];
    snprintf(sql, sizeof sql, "LISTEN \"%s\"", r->channel);
    pg_exec_ok(c, sql);
    atomic_store(&r->subscribed, 1);
    int fd = PQsocket(c);
    uint64_t expect = 0;
    int64_t done_at = 0;
    while (!subscriber_should_stop(r, &done_at)) {
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(fd, &rd);
        struct timeval tv = {0, 50000};
        if (select(fd + 1, &rd, NULL, NULL, &tv) < 0 && errno != EINTR) die("select", strerror(errno));
        if (!PQconsumeInput(c)) die("PQconsumeInput", PQerrorMessage(c));
        PGnotify *n;
        while ((n = PQnotifies(c)) != NULL) {
            uint64_t seq;
            int64_t t;
            if (parse_payload(n->extra, &seq, &t) == 0) record(r, seq, t, &expect);
            PQfreemem(n);
        }
    }
    PQfinish(c);
    return NULL;
}

static void wait_window(run_t *r, uint64_t seq) {
    while (seq - atomic_load(&r->received) >= WINDOW) usleep(100);
}

static void *pg_publisher(void *arg) {
    run_t *r = arg;
    PGconn *c = pg_connect();
    PGresult *prep = PQprepare(c, "notify", "SELECT pg_notify($1, $2)", 2, NULL);
    if (PQresultStatus(prep) != PGRES_COMMAND_OK) die("PQprepare", PQerrorMessage(c));
    PQclear(prep);
    while (!atomic_load(&r->subscribed)) usleep(1000);
    char *buf = malloc(r->size + 1);
    const int batch = r->bus == BUS_PG_BATCH ? BATCH : 1;
    int64_t start = now_ns(), end = start + (int64_t)(seconds * 1e9);
    r->first_send = start;
    uint64_t seq = 0;
    for (;;) {
        if (r->latency_mode) {
            int64_t target = start + (int64_t)((double)seq * 1e9 / rate);
            if (target >= end) break;
            sleep_until(target);
        } else if (now_ns() >= end) {
            break;
        }
        if (batch > 1 && seq % batch == 0) pg_exec_ok(c, "BEGIN");
        if (!r->latency_mode) wait_window(r, seq);
        make_payload(buf, r->size, seq, now_ns());
        const char *params[2] = {r->channel, buf};
        PGresult *res = PQexecPrepared(c, "notify", 2, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) die("pg_notify", PQerrorMessage(c));
        PQclear(res);
        seq++;
        if (batch > 1 && seq % batch == 0) pg_exec_ok(c, "COMMIT");
        if (batch == 1 || seq % batch == 0) atomic_store(&r->sent, seq);
    }
    if (batch > 1 && seq % batch != 0) pg_exec_ok(c, "COMMIT");
    atomic_store(&r->sent, seq);
    atomic_store(&r->publisher_done, 1);
    free(buf);
    PQfinish(c);
    return NULL;
}

/* ------------------------------------------------------------------------------------------------ Redis */

static redisContext *redis_connect(void) {
    const char *p = redis_url;
    if (strncmp(p, "redis://", 8) == 0) p += 8;
    char host[256];
    int port = 6379;
    const char *colon = strrchr(p, ':');
    size_t hl = colon ? (size_t)(colon - p) : strlen(p);
    if (hl >= sizeof host) die("redis url", redis_url);
    memcpy(host, p, hl);
    host[hl] = 0;
    if (colon) port = atoi(colon + 1);
    redisContext *c = redisConnect(host, port);
    if (c == NULL || c->err) die("redisConnect", c ? c->errstr : "out of memory");
    return c;
}

static void *redis_subscriber(void *arg) {
    run_t *r = arg;
    redisContext *c = redis_connect();
    redisReply *reply = redisCommand(c, "SUBSCRIBE %s", r->channel);
    if (reply == NULL) die("SUBSCRIBE", c->errstr);
    freeReplyObject(reply);
    struct timeval tv = {0, 50000};
    redisSetTimeout(c, tv);
    atomic_store(&r->subscribed, 1);
    uint64_t expect = 0;
    int64_t done_at = 0;
    while (!subscriber_should_stop(r, &done_at)) {
        void *rep = NULL;
        if (redisGetReply(c, &rep) != REDIS_OK) {
            if (c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                c->err = 0; /* read timeout: check whether to stop, then read again */
                memset(c->errstr, 0, sizeof c->errstr);
                continue;
            }
            die("redisGetReply", c->errstr);
        }
        redisReply *m = rep;
        if (m->type == REDIS_REPLY_ARRAY && m->elements == 3 && m->element[2]->type == REDIS_REPLY_STRING) {
            uint64_t seq;
            int64_t t;
            if (parse_payload(m->element[2]->str, &seq, &t) == 0) record(r, seq, t, &expect);
        }
        freeReplyObject(m);
    }
    redisFree(c);
    return NULL;
}

static void *redis_publisher(void *arg) {
    run_t *r = arg;
    redisContext *c = redis_connect();
    while (!atomic_load(&r->subscribed)) usleep(1000);
    char *buf = malloc(r->size + 1);
    int64_t start = now_ns(), end = start + (int64_t)(seconds * 1e9);
    r->first_send = start;
    uint64_t seq = 0;
    for (;;) {
        if (r->latency_mode) {
            int64_t target = start + (int64_t)((double)seq * 1e9 / rate);
            if (target >= end) break;
            sleep_until(target);
            make_payload(buf, r->size, seq, now_ns());
            redisReply *rep = redisCommand(c, "PUBLISH %s %b", r->channel, buf, r->size);
            if (rep == NULL) die("PUBLISH", c->errstr);
            freeReplyObject(rep);
            seq++;
        } else {
            if (now_ns() >= end) break;
            wait_window(r, seq + PIPELINE - 1);
            for (int i = 0; i < PIPELINE; i++) {
                make_payload(buf, r->size, seq + (uint64_t)i, now_ns());
                redisAppendCommand(c, "PUBLISH %s %b", r->channel, buf, r->size);
            }
            for (int i = 0; i < PIPELINE; i++) {
                void *rep;
                if (redisGetReply(c, &rep) != REDIS_OK) die("PUBLISH", c->errstr);
                freeReplyObject(rep);
            }
            seq += PIPELINE;
        }
        atomic_store(&r->sent, seq);
    }
    atomic_store(&r->sent, seq);
    atomic_store(&r->publisher_done, 1);
    free(buf);
    redisFree(c);
    return NULL;
}

/* ------------------------------------------------------------------------------------------------ runs */

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void run(run_t *r) {
    static unsigned counter;
    snprintf(r->channel, sizeof r->channel, "ch_%d_%u", (int)getpid(), counter++);
    pthread_t sub, pub;
    void *(*subf)(void *) = r->bus == BUS_REDIS ? redis_subscriber : pg_subscriber;
    void *(*pubf)(void *) = r->bus == BUS_REDIS ? redis_publisher : pg_publisher;
    pthread_create(&sub, NULL, subf, r);
    pthread_create(&pub, NULL, pubf, r);
    pthread_join(pub, NULL);
    pthread_join(sub, NULL);
}

static double pct(int64_t *v, size_t n, double p) {
    if (n == 0) return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return (double)v[i] / 1e6;
}

static void bench(enum bus bus, size_t size) {
    run_t t = {.bus = bus, .size = size, .latency_mode = 0};
    run(&t);
    unsigned long long sent = atomic_load(&t.sent), recv = atomic_load(&t.received);
    double tput = recv / ((double)(t.last_recv - t.first_send) / 1e9);

    run_t l = {.bus = bus, .size = size, .latency_mode = 1};
    l.lat_cap = (size_t)(seconds * rate) + 16;
    l.lat = calloc(l.lat_cap, sizeof(int64_t));
    for (size_t i = 0; i < l.lat_cap; i++) l.lat[i] = -1;
    run(&l);
    unsigned long long lsent = atomic_load(&l.sent), lrecv = atomic_load(&l.received);
    size_t n = 0;
    for (size_t i = 0; i < l.lat_cap && i < lsent; i++)
        if (l.lat[i] >= 0) l.lat[n++] = l.lat[i];
    qsort(l.lat, n, sizeof(int64_t), cmp_i64);
    double achieved = lsent / ((double)(l.last_recv - l.first_send) / 1e9);
    printf("| %-6s | %5zu | %9.0f | %llu | %7.0f%s | %6.3f | %6.3f | %6.3f | %llu |\n", bus_names[bus], size, tput,
           sent - recv + (lsent - lrecv), achieved, achieved < rate * 0.95 ? " (behind)" : "", pct(l.lat, n, 0.50),
           pct(l.lat, n, 0.99), n ? (double)l.lat[n - 1] / 1e6 : 0.0,
           atomic_load(&t.out_of_order) + atomic_load(&l.out_of_order));
    fflush(stdout);
    free(l.lat);
}

static void limit(void) {
    PGconn *c = pg_connect();
    size_t sizes[] = {7999, 8000, 9000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *buf = malloc(sizes[i] + 1);
        memset(buf, 'x', sizes[i]);
        buf[sizes[i]] = 0;
        const char *params[1] = {buf};
        PGresult *res = PQexecParams(c, "SELECT pg_notify('ch', $1)", 1, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) == PGRES_TUPLES_OK) {
            printf("- `pg_notify('ch', <%zu bytes>)`: accepted\n", sizes[i]);
        } else {
            char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
            char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            printf("- `pg_notify('ch', <%zu bytes>)`: **fails**: `ERROR: %s` (SQLSTATE %s)\n", sizes[i],
                   msg ? msg : "?", state ? state : "?");
        }
        PQclear(res);
        free(buf);
    }
    PQfinish(c);
}

int main(int argc, char **argv) {
    const char *sizes = "200,2000", *buses = "pg,pg-b50,redis";
    int do_limit = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--rate") && i + 1 < argc) rate = atof(argv[++i]);
        else if (!strcmp(argv[i], "--sizes") && i + 1 < argc) sizes = argv[++i];
        else if (!strcmp(argv[i], "--buses") && i + 1 < argc) buses = argv[++i];
        else if (!strcmp(argv[i], "limit")) do_limit = 1;
        else die("usage", "busbench [--seconds S] [--rate R] [--sizes 200,2000] [--buses pg,pg-b50,redis] | limit");
    }
    pg_url = getenv("CHATD_TEST_POSTGRES_URL");
    redis_url = getenv("CHATD_TEST_REDIS_URL");
    if (!pg_url || !redis_url) die("environment", "CHATD_TEST_POSTGRES_URL and CHATD_TEST_REDIS_URL (Scripts/with-services)");
    if (do_limit) {
        limit();
        return 0;
    }
    printf("| bus | bytes | max msgs/s (%.0f s, window %d) | lost | rate achieved (target %.0f/s) | p50 ms | p99 ms | max ms | out of order |\n",
           seconds, WINDOW, rate);
    printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    char *bl = strdup(buses);
    for (char *b = strtok(bl, ","); b; b = strtok(NULL, ",")) {
        enum bus bus;
        if (!strcmp(b, "pg")) bus = BUS_PG;
        else if (!strcmp(b, "pg-b50")) bus = BUS_PG_BATCH;
        else if (!strcmp(b, "redis")) bus = BUS_REDIS;
        else die("unknown bus", b);
        char *sl = strdup(sizes), *save;
        for (char *s = strtok_r(sl, ",", &save); s; s = strtok_r(NULL, ",", &save)) bench(bus, (size_t)atol(s));
        free(sl);
    }
    free(bl);
    return 0;
}
