// hiredis 0.14 (Debian libhiredis-dev), the Redis client library, for the cluster bus (Sources/ChatService/Cluster).
// Only the synchronous API is used: one blocking connection per thread. redisCommand is variadic, which Swift
// cannot call; the bus uses redisAppendCommandArgv / redisGetReply, which are not.
#ifndef CHATD_HIREDIS_SHIM_H
#define CHATD_HIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#include <sys/time.h>
#include <errno.h>
#include <string.h>

/// Sets the send/receive timeout of a blocking connection to `milliseconds` (redisSetTimeout takes a struct timeval).
static inline int chatd_redis_set_timeout(redisContext *context, long milliseconds) {
    struct timeval tv;
    tv.tv_sec = milliseconds / 1000;
    tv.tv_usec = (milliseconds % 1000) * 1000;
    return redisSetTimeout(context, tv);
}
/// Connects with a connect timeout (redisConnectWithTimeout takes a struct timeval by value).
static inline redisContext *chatd_redis_connect(const char *host, int port, long milliseconds) {
    struct timeval tv;
    tv.tv_sec = milliseconds / 1000;
    tv.tv_usec = (milliseconds % 1000) * 1000;
    return redisConnectWithTimeout(host, port, tv);
}
/// redisGetReply that tells a read timeout apart from a failure. hiredis 0.14 reports a timeout on a blocking
/// connection as REDIS_ERR_IO with errno EAGAIN and leaves the error set on the context (every later call fails at
/// once). The reader keeps any partial reply, so clearing the error and calling again is safe: on a timeout this
/// clears it and sets *timed_out = 1. Returns REDIS_OK or REDIS_ERR like redisGetReply.
static inline int chatd_redis_get_reply(redisContext *context, redisReply **reply, int *timed_out) {
    void *aux = NULL;
    *timed_out = 0;
    *reply = NULL;
    int status = redisGetReply(context, &aux);
    int saved = errno;
    if (status == REDIS_OK) { *reply = (redisReply *)aux; return REDIS_OK; }
    if (context->err == REDIS_ERR_IO && (saved == EAGAIN || saved == EWOULDBLOCK)) {
        context->err = 0;
        context->errstr[0] = '\0';
        *timed_out = 1;
    }
    return REDIS_ERR;
}
#endif
