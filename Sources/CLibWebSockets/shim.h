#ifndef CHAT_LWS_SHIM_H
#define CHAT_LWS_SHIM_H
#include <libwebsockets.h>

/* Swift cannot import LWS_PRE (a nested function-like macro) or the variadic loggers: wrap them. */
static inline size_t chat_lws_pre(void) { return LWS_PRE; }

#endif
