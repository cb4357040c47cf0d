"""A TLS client socket that two threads may share: websockets' reader thread and the thread that sends.

websockets' sync client reads on a thread of its own while the caller's thread writes, on one socket. With an
ssl.SSLSocket that means two threads inside one OpenSSL connection at once, which OpenSSL does not allow: measured
here, about one WSS connection in 30-50 never sent its upgrade request (the server received the 597 bytes of the TLS
handshake and nothing else) because the reader was taking the TLS 1.3 session tickets that servers send after the
handshake while the other thread wrote the request. The failure belongs to the client, so the fix is here: every
OpenSSL call on the connection runs under one lock, and the lock is never held while waiting for the network (the
socket is non-blocking underneath; waits happen in select() outside the lock).

Only what websockets uses is implemented: recv, send, sendall, settimeout, shutdown, close, fileno; everything else
(getsockname, getpeername, family, setsockopt, ...) goes to the socket itself.
"""
from __future__ import annotations

import select
import socket
import ssl
import threading
import time


class SerializedTLSSocket:
    def __init__(self, tls: ssl.SSLSocket):
        tls.setblocking(False)
        self._tls = tls
        self._lock = threading.Lock()
        self._timeout: float | None = None

    @classmethod
    def connect(cls, host: str, port: int, context: ssl.SSLContext, server_hostname: str,
                timeout: float) -> "SerializedTLSSocket":
        """A TCP connection with the TLS handshake done (blocking, within `timeout`), ready for two threads."""
        raw = socket.create_connection((host, port), timeout=timeout)
        try:
            tls = context.wrap_socket(raw, server_hostname=server_hostname)
        except BaseException:
            raw.close()
            raise
        return cls(tls)

    def _call(self, operation, *args):
        """Runs one OpenSSL operation under the lock; waits outside it for whatever OpenSSL needs first."""
        deadline = None if self._timeout is None else time.monotonic() + self._timeout
        while True:
            with self._lock:
                try:
                    return operation(*args)
                except ssl.SSLWantReadError:
                    readers, writers = [self._tls], []
                except ssl.SSLWantWriteError:
                    readers, writers = [], [self._tls]
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutError("timed out")
            ready = select.select(readers, writers, [], left)
            if not any(ready) and left is not None:
                raise TimeoutError("timed out")

    def recv(self, size: int) -> bytes:
        try:
            return self._call(self._tls.recv, size)
        except ssl.SSLEOFError:
            return b""  # a peer that closed without close_notify: end of stream, as websockets expects

    def send(self, data) -> int:
        return self._call(self._tls.send, data)

    def sendall(self, data) -> None:
        with memoryview(data) as view, view.cast("B") as octets:
            sent = 0
            while sent < len(octets):
                sent += self.send(octets[sent:])

    def settimeout(self, timeout: float | None) -> None:
        self._timeout = timeout  # the socket itself stays non-blocking

    def shutdown(self, how: int) -> None:
        with self._lock:
            self._tls.shutdown(how)

    def close(self) -> None:
        with self._lock:
            try:
                # Wakes a thread waiting in select() on this socket (closing alone would not), keeping the TLS state.
                socket.socket.shutdown(self._tls, socket.SHUT_RDWR)
            except OSError:
                pass
            self._tls.close()

    def fileno(self) -> int:
        return self._tls.fileno()

    def __getattr__(self, name: str):
        return getattr(self._tls, name)
