#ifndef CHAT_FRAME_GUARD_H
#define CHAT_FRAME_GUARD_H
/*
 * Refusing unmasked client frames (RFC 6455 §5.1), which libwebsockets 4.1.6 accepts on the server side: its frame
 * parser records the mask bit but never refuses a frame without it, and offers no way to ask.
 *
 * The guard watches the bytes lws reads from each accepted connection: this library's recv() stands in for libc's
 * for the whole process and forwards to it, and its SSL_read() stands in for OpenSSL's in the same way, so a
 * connection on which chatd does TLS itself is followed in plaintext; only watched descriptors are looked at.
 * From the first byte it skips the HTTP request head, then follows the WebSocket frame headers that would follow
 * it and notes the first frame whose mask bit is clear. The transport asks about a connection only once it is a WebSocket, so the bytes
 * of plain HTTP connections never matter. On a violation the guard wakes the lws context (lws_cancel_service), so
 * the transport closes the connection with 1002 even when the frame was a control frame lws handled itself.
 *
 * Threading: watch/unwatch/violated are called on the lws service thread that owns the descriptor; recv() and
 * SSL_read() may be called on any thread and only touch the state of descriptors being watched (by the thread
 * serving them).
 */
#include <stdint.h>
#include <sys/types.h>

/* 1 when this library's recv() is the one the process (and so lws) calls; 0 means nothing is checked. */
int chat_frame_guard_active(void);
/* 1 when this library's SSL_read() is the one the process calls; 0 means TLS connections are not checked. */
int chat_frame_guard_tls_active(void);
/* Start watching a freshly accepted descriptor; `context` is the lws context to wake on a violation; `tls` nonzero
 * when lws reads the descriptor through SSL_read (the vhost serves TLS), so its plaintext is what is scanned. */
void chat_frame_guard_watch(int fd, void *context, int tls);
/* The descriptor is now the WebSocket `connection` (a nonzero id): from here on a violation is reported to the
 * context's service thread (woken with lws_cancel_service). Before, bytes were only scanned (a plain HTTP body
 * that looks like an unmasked frame never wakes anyone). */
void chat_frame_guard_mark_websocket(int fd, uint64_t connection);
/* Stop watching (before the descriptor is closed). */
void chat_frame_guard_unwatch(int fd);
/* 1 when a frame without the mask bit was seen on the descriptor. */
int chat_frame_guard_violated(int fd);
/* The next WebSocket connection of `context` reported since the last call, or 0 when there is none. Cheap when
 * nothing was reported (one atomic load). */
uint64_t chat_frame_guard_next_violation(void *context);
/* Drops what is still reported for `context` (call before destroying it: a later context may get its address). */
void chat_frame_guard_forget_context(void *context);

/* The frame scanner alone, for tests: feeds `len` bytes of a connection's stream (starting with its HTTP
 * request head) and returns 1 once an unmasked frame has been seen. `state` must start zeroed. */
struct chat_frame_scan {
    uint8_t phase;
    uint8_t head_match;     /* how much of "\r\n\r\n" was just seen */
    uint8_t header_bytes;   /* extended length / mask bytes still to read */
    uint8_t violated;
    uint64_t remaining;     /* payload bytes still to skip (or the length being assembled) */
};
int chat_frame_scan_feed(struct chat_frame_scan *state, const uint8_t *bytes, size_t len);

#endif
