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

/* The variadic logger, for the rare message the transport wants lws-formatted. */
static inline void chat_lws_log_err(const char *msg) { lwsl_err("%s\n", msg); }

#endif
