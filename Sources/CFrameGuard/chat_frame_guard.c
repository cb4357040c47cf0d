#define _GNU_SOURCE
#include "chat_frame_guard.h"

#include <dlfcn.h>
#include <errno.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>

enum { PHASE_HEAD, PHASE_BYTE0, PHASE_BYTE1, PHASE_LENGTH, PHASE_MASK, PHASE_PAYLOAD, PHASE_DONE };

int chat_frame_scan_feed(struct chat_frame_scan *s, const uint8_t *b, size_t len) {
    static const uint8_t end_of_head[4] = {'\r', '\n', '\r', '\n'};
    size_t i = 0;
    while (i < len && s->phase != PHASE_DONE) {
        uint8_t c = b[i];
        switch (s->phase) {
        case PHASE_HEAD:
            s->head_match = (c == end_of_head[s->head_match]) ? s->head_match + 1 : (c == '\r' ? 1 : 0);
            if (s->head_match == 4) s->phase = PHASE_BYTE0;
            i++;
            break;
        case PHASE_BYTE0:  /* FIN, RSV, opcode: lws checks those */
            s->phase = PHASE_BYTE1;
            i++;
            break;
        case PHASE_BYTE1:
            if (!(c & 0x80)) {
                s->violated = 1;
                s->phase = PHASE_DONE;
                break;
            }
            s->remaining = c & 0x7f;
            if (s->remaining == 126 || s->remaining == 127) {
                s->header_bytes = s->remaining == 126 ? 2 : 8;
                s->remaining = 0;
                s->phase = PHASE_LENGTH;
            } else {
                s->header_bytes = 4;
                s->phase = PHASE_MASK;
            }
            i++;
            break;
        case PHASE_LENGTH:
            s->remaining = (s->remaining << 8) | c;
            if (--s->header_bytes == 0) { s->header_bytes = 4; s->phase = PHASE_MASK; }
            i++;
            break;
        case PHASE_MASK:
            if (--s->header_bytes == 0) s->phase = s->remaining ? PHASE_PAYLOAD : PHASE_BYTE0;
            i++;
            break;
        case PHASE_PAYLOAD: {
            size_t take = (size_t)((uint64_t)(len - i) < s->remaining ? (uint64_t)(len - i) : s->remaining);
            s->remaining -= take;
            i += take;
            if (s->remaining == 0) s->phase = PHASE_BYTE0;
            break;
        }
        }
    }
    return s->violated;
}

/* Per-descriptor state, indexed by fd; allocated once for the process's descriptor limit. */
struct guarded {
    _Atomic uint8_t watched;
    struct chat_frame_scan scan;
    void *context;
    uint64_t connection;  /* nonzero once the descriptor is a WebSocket */
    uint8_t tls;          /* the stream is read through SSL_read (plaintext), not recv (which only sees ciphertext) */
};

static struct guarded *table;
static size_t table_size;

/* Reported violations not yet taken by their service thread: (context, connection) pairs. Rare, so a mutex. */
struct report { void *context; uint64_t connection; };
static pthread_mutex_t reports_lock = PTHREAD_MUTEX_INITIALIZER;
static struct report *reports;
static size_t reports_count, reports_capacity;
static _Atomic size_t reports_pending;

static void report_violation(struct guarded *g) {
    pthread_mutex_lock(&reports_lock);
    if (reports_count == reports_capacity) {
        size_t capacity = reports_capacity ? reports_capacity * 2 : 16;
        struct report *grown = realloc(reports, capacity * sizeof(struct report));
        if (grown) { reports = grown; reports_capacity = capacity; }
    }
    if (reports_count < reports_capacity) {
        reports[reports_count++] = (struct report){g->context, g->connection};
        atomic_fetch_add_explicit(&reports_pending, 1, memory_order_release);
    }
    pthread_mutex_unlock(&reports_lock);
    if (g->context) lws_cancel_service((struct lws_context *)g->context);
}
static ssize_t (*libc_recv)(int, void *, size_t, int);
/* OpenSSL's, found in the process (lws links libssl); declared here without OpenSSL's headers. */
struct ssl_st;
static int (*libssl_read)(struct ssl_st *, void *, int);
static int (*libssl_get_fd)(const struct ssl_st *);
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void setup(void) {
    libc_recv = (ssize_t (*)(int, void *, size_t, int))dlsym(RTLD_NEXT, "recv");
    libssl_read = (int (*)(struct ssl_st *, void *, int))dlsym(RTLD_NEXT, "SSL_read");
    libssl_get_fd = (int (*)(const struct ssl_st *))dlsym(RTLD_NEXT, "SSL_get_fd");
    struct rlimit limit;
    size_t size = 65536;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) size = (size_t)limit.rlim_cur;
    if (size > (1u << 20)) size = 1u << 20;
    table = calloc(size, sizeof(struct guarded));
    table_size = table ? size : 0;
}

/* Bytes of a connection's stream as lws got them: plaintext from recv on plain sockets, from SSL_read on TLS ones. */
static void scan(int fd, const void *buf, size_t n, uint8_t tls) {
    if (fd < 0 || (size_t)fd >= table_size || !atomic_load_explicit(&table[fd].watched, memory_order_acquire))
        return;
    struct guarded *g = &table[fd];
    if (g->tls != tls) return;
    if (!g->scan.violated && chat_frame_scan_feed(&g->scan, buf, n) && g->connection)
        report_violation(g);
}

ssize_t recv(int fd, void *buf, size_t len, int flags) {
    pthread_once(&once, setup);
    if (!libc_recv) { errno = ENOSYS; return -1; }
    ssize_t n = libc_recv(fd, buf, len, flags);
    if (n > 0 && !(flags & MSG_PEEK)) scan(fd, buf, (size_t)n, 0);
    return n;
}

int SSL_read(struct ssl_st *ssl, void *buf, int num) {
    pthread_once(&once, setup);
    if (!libssl_read) { errno = ENOSYS; return -1; }  /* unreachable: whoever calls SSL_read loaded libssl */
    int n = libssl_read(ssl, buf, num);
    if (n > 0 && libssl_get_fd) scan(libssl_get_fd(ssl), buf, (size_t)n, 1);
    return n;
}

int chat_frame_guard_active(void) {
    pthread_once(&once, setup);
    void *current = dlsym(RTLD_DEFAULT, "recv");
    return table != NULL && libc_recv != NULL && current == (void *)&recv;
}

int chat_frame_guard_tls_active(void) {
    pthread_once(&once, setup);
    void *current = dlsym(RTLD_DEFAULT, "SSL_read");
    return table != NULL && libssl_read != NULL && libssl_get_fd != NULL && current == (void *)&SSL_read;
}

void chat_frame_guard_watch(int fd, void *context, int tls) {
    pthread_once(&once, setup);
    if (fd < 0 || (size_t)fd >= table_size) return;
    struct guarded *g = &table[fd];
    atomic_store_explicit(&g->watched, 0, memory_order_release);
    g->scan = (struct chat_frame_scan){0};
    g->context = context;
    g->connection = 0;
    g->tls = tls ? 1 : 0;
    atomic_store_explicit(&g->watched, 1, memory_order_release);
}

void chat_frame_guard_unwatch(int fd) {
    if (fd < 0 || (size_t)fd >= table_size) return;
    atomic_store_explicit(&table[fd].watched, 0, memory_order_release);
}

int chat_frame_guard_violated(int fd) {
    if (fd < 0 || (size_t)fd >= table_size) return 0;
    return atomic_load_explicit(&table[fd].watched, memory_order_acquire) && table[fd].scan.violated;
}

void chat_frame_guard_mark_websocket(int fd, uint64_t connection) {
    if (fd < 0 || (size_t)fd >= table_size) return;
    table[fd].connection = connection;
}

uint64_t chat_frame_guard_next_violation(void *context) {
    if (atomic_load_explicit(&reports_pending, memory_order_acquire) == 0) return 0;
    uint64_t found = 0;
    pthread_mutex_lock(&reports_lock);
    for (size_t i = 0; i < reports_count; i++) {
        if (reports[i].context != context) continue;
        found = reports[i].connection;
        reports[i] = reports[--reports_count];
        atomic_fetch_sub_explicit(&reports_pending, 1, memory_order_release);
        break;
    }
    pthread_mutex_unlock(&reports_lock);
    return found;
}

void chat_frame_guard_forget_context(void *context) {
    pthread_mutex_lock(&reports_lock);
    for (size_t i = 0; i < reports_count;) {
        if (reports[i].context == context) {
            reports[i] = reports[--reports_count];
            atomic_fetch_sub_explicit(&reports_pending, 1, memory_order_release);
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&reports_lock);
}
