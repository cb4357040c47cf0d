// The browser side of the chatd delivery contract (docs/PROTOCOL.md §4):
// reconnect with backoff, hello, resume every followed session from its last seq, resend every unacknowledged
// request by its clientId, and hand each session event to the page exactly once, in seq order.
// A page reload keeps followed sessions and unacknowledged messages (sessionStorage) and replays the chats.

const BACKOFF_START_MS = 500;
const BACKOFF_MAX_MS = 10_000;
const PING_EVERY_MS = 20_000;
const PONG_TIMEOUT_MS = 10_000;

/** A client id for idempotent requests. */
export function newClientId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  return `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

/** The WebSocket URL of the server that served this page. */
export function defaultSocketUrl(base = location.href) {
  const url = new URL("/ws", base);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

/**
 * One authenticated connection to chatd that survives drops and restarts.
 *
 * Events (EventTarget): "state" {state}, "welcome" {frame}, "event" {event} (each seq once, in order),
 * "ack" {clientId, sessionId, event}, "frame" {frame} (every other server frame), "outbox" {pending}.
 * The server acknowledges the sender's own message with its seq and time only (`ack`): this class rebuilds the stored
 * event from the outbox copy and hands it to the page as an "event" like any other.
 * States: "connecting", "open", "reconnecting", "auth_failed", "stopped".
 * "welcome" listeners run before the followed sessions are resumed: a page may `unfollow` the ones it does not want
 * synced (the agent console holds them back until the server lists them as still assigned).
 */
export class ChatConnection extends EventTarget {
  constructor({ token, url = defaultSocketUrl(), storageKey = "chatd", storage = sessionStorage } = {}) {
    super();
    this.token = token;
    this.url = url;
    this.storageKey = storageKey;
    this.storage = storage;
    this.state = "stopped";
    this.welcome = null;
    /** sessionId -> highest seq handed to the page */
    this.lastSeq = new Map();
    /** sessionId -> Map(seq -> event) */
    this.events = new Map();
    /** clientId -> {type, ...fields} not yet acknowledged, in send order */
    this.outbox = new Map();
    /** sessions to resume after a reconnect */
    this.followed = new Set();
    this.socket = null;
    this.backoff = BACKOFF_START_MS;
    this.timers = { reconnect: 0, ping: 0, pong: 0 };
    this.restore();
  }

  // ---- lifecycle

  start() {
    if (this.state !== "stopped" && this.state !== "auth_failed") return;
    this.connect();
  }

  stop() {
    this.setState("stopped");
    this.clearTimers();
    if (this.socket) this.socket.close(1000, "bye");
    this.socket = null;
  }

  /** Forget everything stored for this page (e.g. on logout). */
  forget() {
    this.outbox.clear();
    this.followed.clear();
    this.lastSeq.clear();
    this.events.clear();
    this.storage.removeItem(this.storageKey);
  }

  connect() {
    this.clearTimers();
    this.setState(this.state === "open" || this.state === "reconnecting" ? "reconnecting" : "connecting");
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch (error) {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => this.sendRaw({ type: "hello", token: this.token });
    socket.onmessage = (message) => this.receive(message.data);
    socket.onclose = (close) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.clearTimers();
      if (close.code === 4401) {
        this.setState("auth_failed");
        return;
      }
      if (this.state !== "stopped") this.scheduleReconnect();
    };
    socket.onerror = () => {};
  }

  scheduleReconnect() {
    this.setState("reconnecting");
    const jitter = this.backoff * (0.5 + Math.random() * 0.5);
    this.timers.reconnect = setTimeout(() => this.connect(), jitter);
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
  }

  clearTimers() {
    clearTimeout(this.timers.reconnect);
    clearInterval(this.timers.ping);
    clearTimeout(this.timers.pong);
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state } }));
  }

  // ---- sending

  sendRaw(frame) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** Sends a frame now if connected (commands that need no delivery guarantee: typing, read, status...). */
  send(type, fields = {}) {
    return this.state === "open" && this.sendRaw({ type, ...fields });
  }

  /** Sends a request that must not be lost (send, request_chat): kept until acknowledged, resent after reconnects. */
  sendReliably(type, fields) {
    const clientId = fields.clientId ?? newClientId();
    const frame = { type, ...fields, clientId };
    this.outbox.set(clientId, frame);
    this.persist();
    this.dispatchEvent(new CustomEvent("outbox", { detail: { pending: [...this.outbox.values()] } }));
    if (this.state === "open") this.sendRaw(frame);
    return clientId;
  }

  /**
   * Stops resending a reliable request that will never be acknowledged: an urgent `request_chat` outside support
   * hours is answered by `ticket_created`, which carries no clientId, so the page must drop it (a resend after a
   * reconnect would open a second urgent ticket).
   */
  discard(clientId) {
    if (!this.outbox.delete(clientId)) return false;
    this.persist();
    this.dispatchEvent(new CustomEvent("outbox", { detail: { pending: [...this.outbox.values()] } }));
    return true;
  }

  sendMessage(sessionId, text) {
    return this.sendReliably("send", { sessionId, text });
  }

  requestChat({ product, subject, text, urgent = false, timeZone = guessTimeZone() }) {
    return this.sendReliably("request_chat", { product, subject, text, urgent, timeZone });
  }

  /** Follow a session: replay what this page has not seen, then live events (and resend what waits for it). */
  follow(sessionId) {
    const first = !this.followed.has(sessionId);
    this.followed.add(sessionId);
    this.persist();
    if (first || this.state === "open") {
      if (this.send("sync", { sessionId, afterSeq: this.lastSeq.get(sessionId) ?? 0 })) this.resend(sessionId);
    }
  }

  /** Stop following (the page no longer shows it). */
  unfollow(sessionId) {
    this.followed.delete(sessionId);
    this.persist();
  }

  pending(sessionId) {
    return [...this.outbox.values()].filter((frame) => frame.sessionId === sessionId);
  }

  // ---- receiving

  receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    switch (frame.type) {
      case "welcome":
        this.welcome = frame;
        this.backoff = BACKOFF_START_MS;
        this.setState("open");
        this.startKeepalive();
        this.dispatchEvent(new CustomEvent("welcome", { detail: { frame } }));
        this.resume();
        break;
      case "pong":
        clearTimeout(this.timers.pong);
        break;
      case "event":
        this.acknowledgeByEvent(frame.event);
        this.deliver(frame.event);
        break;
      case "ack": {
        const event = this.ownEvent(frame);
        this.acknowledge(frame.clientId, event, frame.sessionId);
        // In seq order only: an ack that overtakes a replay still in progress leaves its event to that replay.
        if (event && (!this.followed.has(event.sessionId)
          || event.seq <= (this.lastSeq.get(event.sessionId) ?? 0) + 1)) this.deliver(event);
        break;
      }
      case "ticket_created":
        // Answers an urgent request_chat outside hours: that request is acknowledged.
        if (frame.clientId) this.acknowledge(frame.clientId, null);
        this.dispatchEvent(new CustomEvent("frame", { detail: { frame } }));
        break;
      case "error":
        // A refused reliable request will not be acknowledged: stop resending it, the page shows the error.
        if (frame.ref && this.outbox.has(frame.ref) && !RETRYABLE.has(frame.code)) {
          this.outbox.delete(frame.ref);
          this.persist();
        }
        this.dispatchEvent(new CustomEvent("frame", { detail: { frame } }));
        break;
      default:
        this.dispatchEvent(new CustomEvent("frame", { detail: { frame } }));
    }
  }

  /**
   * After welcome: resume every followed session, then resend what was never acknowledged. A message for a session
   * the page does not follow (now) waits until it does: resent before its sync, its ack could overtake the replay.
   */
  resume() {
    for (const sessionId of this.followed) {
      this.sendRaw({ type: "sync", sessionId, afterSeq: this.lastSeq.get(sessionId) ?? 0 });
    }
    for (const frame of this.outbox.values()) {
      if (frame.sessionId == null || this.followed.has(frame.sessionId)) this.sendRaw(frame);
    }
  }

  /** Resends the unacknowledged messages of one session, in send order. */
  resend(sessionId) {
    for (const frame of this.outbox.values()) if (frame.sessionId === sessionId) this.sendRaw(frame);
  }

  deliver(event) {
    const last = this.lastSeq.get(event.sessionId) ?? 0;
    if (event.seq <= last) return;
    let byId = this.events.get(event.sessionId);
    if (!byId) this.events.set(event.sessionId, (byId = new Map()));
    byId.set(event.seq, event);
    this.lastSeq.set(event.sessionId, event.seq);
    if (!this.followed.has(event.sessionId)) {
      this.followed.add(event.sessionId);
    }
    this.persist();
    this.dispatchEvent(new CustomEvent("event", { detail: { event } }));
  }

  acknowledge(clientId, event, sessionId = event?.sessionId ?? null) {
    if (!this.outbox.has(clientId)) return;
    this.outbox.delete(clientId);
    if (sessionId != null) this.followed.add(sessionId);
    this.persist();
    this.dispatchEvent(new CustomEvent("ack", { detail: { clientId, sessionId, event } }));
  }

  acknowledgeByEvent(event) {
    if (event?.clientId && this.outbox.has(event.clientId)) this.acknowledge(event.clientId, event);
  }

  /**
   * The sender's own message as the server stored it, from its outbox copy and the ack's seq and time (the ack does
   * not repeat the event). Null when the copy is gone: a repeated ack of a message already delivered.
   */
  ownEvent(ack) {
    const sent = this.outbox.get(ack.clientId);
    const author = this.ownAuthor();
    const kind = { send: "message", note: "note", request_chat: "requested" }[sent?.type];
    if (!kind || !author) return null;
    const requested = sent.type === "request_chat";
    return {
      sessionId: ack.sessionId, seq: ack.seq, at: ack.at, kind, author,
      // The server stores a chat request's first message trimmed, a message as sent.
      text: requested ? String(sent.text).trim() : sent.text, clientId: ack.clientId,
    };
  }

  /** Who this connection writes as (the `author` of its own events), from the welcome frame. */
  ownAuthor() {
    const welcome = this.welcome;
    if (welcome?.customer) return { role: "customer", id: welcome.customer.contactId, name: welcome.customer.name };
    if (welcome?.staff) {
      return { role: welcome.role === "supervisor" ? "supervisor" : "agent", id: String(welcome.staff.id), name: welcome.staff.name };
    }
    return null;
  }

  startKeepalive() {
    clearInterval(this.timers.ping);
    this.timers.ping = setInterval(() => {
      if (!this.sendRaw({ type: "ping" })) return;
      clearTimeout(this.timers.pong);
      // No pong: the network is gone without a close; drop the socket and reconnect.
      this.timers.pong = setTimeout(() => this.socket?.close(4000, "no pong"), PONG_TIMEOUT_MS);
    }, PING_EVERY_MS);
  }

  // ---- persistence across page reloads

  persist() {
    const state = { followed: [...this.followed], outbox: [...this.outbox.values()] };
    try {
      this.storage.setItem(this.storageKey, JSON.stringify(state));
    } catch {
      /* storage full or disabled: the live page still works */
    }
  }

  restore() {
    try {
      const state = JSON.parse(this.storage.getItem(this.storageKey) ?? "null");
      if (!state) return;
      for (const id of state.followed ?? []) this.followed.add(id);
      for (const frame of state.outbox ?? []) this.outbox.set(frame.clientId, frame);
    } catch {
      this.storage.removeItem(this.storageKey);
    }
  }
}

/** Errors after which resending the same request makes sense. */
const RETRYABLE = new Set(["rate_limited", "server_busy"]);

export function guessTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}
