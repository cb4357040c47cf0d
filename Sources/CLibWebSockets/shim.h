#ifndef CHAT_LWS_SHIM_H
#define CHAT_LWS_SHIM_H
#include <libwebsockets.h>
#include <string.h>

/* Swift cannot import LWS_PRE (a nested function-like macro) or the variadic loggers: wrap them. */
static inline size_t chat_lws_pre(void) { return LWS_PRE; }

/* Per-session data of the transport's one protocol: a plain id, never a Swift reference.
 * WebSocket connections hold their connection id, HTTP connections the id of their current request (0 = none). */
struct chat_lws_pss {
    uint64_t id;
};

/* A scheduler entry with a back pointer to its owner. The sul is the first member, so the
 * pointer lws hands to the callback is also a pointer to this struct (no lws_container_of needed). */
struct chat_lws_timer {
    lws_sorted_usec_list_t sul;
    void *owner;
    int kind;
};

static inline struct chat_lws_timer *chat_lws_timer_from_sul(lws_sorted_usec_list_t *sul) {
    return (struct chat_lws_timer *)(void *)sul;
}

static inline lws_sorted_usec_list_t *chat_lws_timer_sul(struct chat_lws_timer *t) { return &t->sul; }

/* LWS_SET_TIMER_USEC_CANCEL is a cast expression Swift does not import. */
static inline lws_usec_t chat_lws_timer_cancel_value(void) { return LWS_SET_TIMER_USEC_CANCEL; }

/* glibc's malloc_trim (malloc.h is not part of Swift's Glibc module). Consolidates freed chunks and returns free
 * pages to the system; see WebSocketServer's memory trim. */
#include <malloc.h>
static inline int chat_malloc_trim(void) { return malloc_trim(0); }

/* The variadic logger, for the rare message the transport wants lws-formatted. */
static inline void chat_lws_log_err(const char *msg) { lwsl_err("%s\n", msg); }

/* libev, for running lws on a loop the transport owns (lws "foreign loop"; epoll on Linux). chatd does not link
 * libev: it is loaded at run time (the package lws's libev plugin depends on), so a machine without the plugin
 * simply falls back to poll. ev.h (libev-dev) is used for types and macros only; every libev function is called
 * through the pointers below. */
#include <dlfcn.h>
#include <ev.h>
struct chat_ev_api {
    void *lib;
    struct ev_loop *(*loop_new)(unsigned int flags);
    int (*run)(struct ev_loop *loop, int flags);
    void (*brk)(struct ev_loop *loop, int how);
    void (*loop_destroy)(struct ev_loop *loop);
    unsigned int (*backend)(struct ev_loop *loop);
    void (*timer_start)(struct ev_loop *loop, ev_timer *w);
    void (*timer_stop)(struct ev_loop *loop, ev_timer *w);
    void (*now_update)(struct ev_loop *loop);
};

/* 0 on success. The library stays loaded for the life of the process (lws's plugin uses it too). */
static inline int chat_ev_load(struct chat_ev_api *api, const char *soname) {
    memset(api, 0, sizeof(*api));
    api->lib = dlopen(soname, RTLD_NOW | RTLD_GLOBAL);
    if (!api->lib) return -1;
    api->loop_new = (struct ev_loop *(*)(unsigned int))dlsym(api->lib, "ev_loop_new");
    api->run = (int (*)(struct ev_loop *, int))dlsym(api->lib, "ev_run");
    api->brk = (void (*)(struct ev_loop *, int))dlsym(api->lib, "ev_break");
    api->loop_destroy = (void (*)(struct ev_loop *))dlsym(api->lib, "ev_loop_destroy");
    api->backend = (unsigned int (*)(struct ev_loop *))dlsym(api->lib, "ev_backend");
    api->timer_start = (void (*)(struct ev_loop *, ev_timer *))dlsym(api->lib, "ev_timer_start");
    api->timer_stop = (void (*)(struct ev_loop *, ev_timer *))dlsym(api->lib, "ev_timer_stop");
    api->now_update = (void (*)(struct ev_loop *))dlsym(api->lib, "ev_now_update");
    if (!api->loop_new || !api->run || !api->brk || !api->loop_destroy || !api->backend ||
        !api->timer_start || !api->timer_stop || !api->now_update)
        return -2;
    return 0;
}

static inline void *chat_ev_loop_new(const struct chat_ev_api *api) { return api->loop_new(EVFLAG_AUTO); }
/* Makes the outermost ev_run return. Only on the loop's own thread. */
static inline void chat_ev_break_all(const struct chat_ev_api *api, void *loop) {
    api->brk((struct ev_loop *)loop, EVBREAK_ALL);
}
static inline void chat_ev_loop_destroy(const struct chat_ev_api *api, void *loop) {
    api->loop_destroy((struct ev_loop *)loop);
}
static inline int chat_ev_backend_is_epoll(const struct chat_ev_api *api, void *loop) {
    return api->backend((struct ev_loop *)loop) == EVBACKEND_EPOLL;
}

/* A one-shot libev timer of the transport's own. lws 4.1.6's libev glue re-arms its single sul timer with
 * ev_timer_set + ev_timer_start without stopping it first, which libev ignores while the timer is active: a sul
 * scheduled sooner than the armed deadline from outside a timer callback waits for that deadline. The transport's
 * own timers therefore use libev directly when running on libev. */
struct chat_ev_timer {
    ev_timer w;  /* first member: the watcher pointer is the struct pointer */
    void (*fire)(struct chat_ev_timer *t);
    void *owner;
    int kind;
};

static inline void chat_ev_timer_trampoline(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop; (void)revents;
    struct chat_ev_timer *t = (struct chat_ev_timer *)(void *)w;
    if (t->fire) t->fire(t);
}

static inline void chat_ev_timer_init(struct chat_ev_timer *t, void (*fire)(struct chat_ev_timer *), void *owner,
                                      int kind) {
    memset(t, 0, sizeof(*t));
    ev_timer_init(&t->w, chat_ev_timer_trampoline, 0., 0.);
    t->fire = fire;
    t->owner = owner;
    t->kind = kind;
}

/* (Re)arms the timer to fire once after `seconds` (replacing any earlier arming). */
static inline void chat_ev_timer_arm(const struct chat_ev_api *api, void *loop, struct chat_ev_timer *t,
                                     double seconds) {
    struct ev_loop *l = (struct ev_loop *)loop;
    api->timer_stop(l, &t->w);
    api->now_update(l);  /* relative to now, not to the start of this loop iteration */
    ev_timer_set(&t->w, seconds, 0.);
    api->timer_start(l, &t->w);
}

static inline void chat_ev_timer_stop(const struct chat_ev_api *api, void *loop, struct chat_ev_timer *t) {
    api->timer_stop((struct ev_loop *)loop, &t->w);
}

#endif
