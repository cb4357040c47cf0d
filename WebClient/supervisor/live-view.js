// Live supervision of one open chat, opened from the board: a read-only view that follows the chat's events over the
// page's WebSocket (`sync`, then `event` frames; `synced` says the replay is complete), and the supervisor's four
// moves (docs/PROTOCOL.md §2):
// - whisper: a `note`, staff only (the customer never receives it), shown apart from the conversation;
// - barge in: a `send` as supervisor (the chat stays with its agent);
// - take over: `take` on an active chat (it moves to the supervisor, who answers in the agent console);
// - assign: `transfer` of a queued chat to a chosen agent (connected, under the cap; Away agents too).
// Whispers and messages go through the connection's outbox (acknowledged by clientId, resent after a reconnect).
import { el, formatClock, formatDuration, replaceChildren } from "../js/dom.js";

export class LiveView {
  /** host: the supervisor view (connection, auth, agents, cap, names, sessions). */
  constructor(host) {
    this.host = host;
    this.sessionId = null;
    this.synced = false;
    this.pending = new Map(); // clientId -> {kind, text}
    this.section = el("section", { class: "card live", id: "live", "aria-labelledby": "live-title", tabindex: "-1", hidden: true });
  }

  get me() {
    return this.host.auth.staff;
  }

  /** Opens chat `id` (queued or active) and follows it. */
  open(id) {
    this.sessionId = id;
    this.synced = false;
    this.agentsSignature = null;
    this.pending.clear();
    this.title = el("h2", { id: "live-title" }, `Live: chat ${id}`);
    this.state = el("p", { id: "live-state", role: "status", class: "muted" }, "Loading the conversation…");
    this.head = el("dl", { class: "chat-head", id: "live-head" });
    this.log = el("ol", { id: "live-events", class: "live-events", role: "log", "aria-label": "Conversation, live" });
    this.error = el("p", { id: "live-error", class: "error-text", role: "alert" });
    this.notice = el("p", { id: "live-notice", class: "notice", role: "status" });
    this.whisperText = el("textarea", { id: "whisper-text", rows: "2", maxlength: "4000", "aria-describedby": "whisper-help" });
    this.bargeText = el("textarea", { id: "barge-text", rows: "2", maxlength: "4000", "aria-describedby": "barge-help" });
    this.takeButton = el("button", { type: "button", id: "take-over", class: "danger", onclick: () => this.takeOver() }, "Take over");
    this.assignAgent = el("select", { id: "assign-agent" });
    this.assignButton = el("button", { type: "submit", id: "assign-send" }, "Assign");
    this.assignHint = el("p", { id: "assign-hint", class: "muted" });
    this.takeBox = el("div", { class: "live-action", id: "take-box" },
      el("h3", {}, "Take over"),
      el("p", { class: "muted" }, "The chat moves to you; its agent can no longer write in it. You answer it in the agent console."),
      this.takeButton);
    this.assignBox = el("form", { class: "live-action", id: "assign-form", onsubmit: (e) => { e.preventDefault(); this.assign(); } },
      el("h3", {}, el("label", { for: "assign-agent" }, "Assign to an agent")),
      el("p", { class: "muted" }, "Connected agents under their cap, Away ones included (routing would not pick them)."),
      el("div", { class: "field-inline" }, this.assignAgent, this.assignButton), this.assignHint);

    replaceChildren(this.section,
      el("div", { class: "live-top" }, this.title,
        el("button", { type: "button", class: "secondary", id: "live-close", onclick: () => this.close() }, "Stop watching")),
      this.state, this.head, this.error, this.notice,
      el("div", { class: "live-grid" },
        el("div", {}, el("h3", {}, "Conversation"), this.log),
        el("div", { class: "live-actions" },
          el("form", { class: "live-action", id: "whisper-form", onsubmit: (e) => { e.preventDefault(); this.whisper(); } },
            el("h3", {}, el("label", { for: "whisper-text" }, "Whisper to the agent")),
            el("p", { id: "whisper-help", class: "muted" }, "A staff-only note: the customer never sees it."),
            this.whisperText,
            el("button", { type: "submit", id: "whisper-send" }, "Whisper")),
          el("form", { class: "live-action", id: "barge-form", onsubmit: (e) => { e.preventDefault(); this.barge(); } },
            el("h3", {}, el("label", { for: "barge-text" }, "Barge in")),
            el("p", { id: "barge-help", class: "muted" }, "A message to the customer, shown as from a supervisor. The chat stays with its agent."),
            this.bargeText,
            el("button", { type: "submit", id: "barge-send", class: "secondary" }, "Send to the customer")),
          this.takeBox, this.assignBox)));
    this.section.hidden = false;

    // What this page already has of the chat, then the rest from the server (sync from the last seq seen).
    const known = this.host.connection.events.get(id);
    if (known) for (const seq of [...known.keys()].sort((a, b) => a - b)) this.renderEvent(known.get(seq));
    this.renderHead();
    this.renderAgents();
    this.host.connection.follow(id);
    if (this.host.connection.state !== "open") this.state.textContent = "Waiting for the connection…";
    this.section.focus({ preventScroll: true });
    this.section.scrollIntoView({ block: "start" });
  }

  close() {
    const id = this.sessionId;
    if (id !== null) this.host.connection.unfollow(id);
    this.sessionId = null;
    this.section.hidden = true;
    replaceChildren(this.section);
    this.host.focusBoard(id);
  }

  session() {
    return this.host.sessions.get(this.sessionId) ?? this.lastSession ?? null;
  }

  // ---- frames from the page's connection

  event(e) {
    if (e.sessionId !== this.sessionId) return;
    this.renderEvent(e);
    if (e.kind === "transferred" && e.agent?.id === this.me.id) {
      this.says("take", "You took over this chat. Answer it in the agent console, signed in with the same login: ",
        el("a", { href: "../console/", id: "live-console-link" }, "open the agent console"), ".");
    } else if (e.kind === "joined" && e.author?.role === "supervisor" && String(e.author.id) === String(this.me.id)) {
      this.says("assign", `Assigned to ${e.agent?.name ?? "the agent"}.`);
    }
    this.renderHead();
  }

  ack(clientId) {
    if (this.pending.delete(clientId)) this.error.textContent = "";
  }

  frame(frame) {
    if (this.sessionId === null) return;
    switch (frame.type) {
      case "session":
        if (frame.session.id === this.sessionId) {
          this.lastSession = frame.session;
          this.renderHead();
        }
        break;
      case "synced":
        if (frame.sessionId === this.sessionId) {
          this.synced = true;
          this.renderHead();
        }
        break;
      case "error": {
        // A whisper or message refused: give its text back to the box it came from.
        const sent = frame.ref ? this.pending.get(frame.ref) : null;
        if (frame.ref && !sent) break; // someone else's request
        if (sent) {
          this.pending.delete(frame.ref);
          const box = sent.kind === "note" ? this.whisperText : this.bargeText;
          if (!box.value) box.value = sent.text;
        }
        this.error.textContent = frame.message || `Refused: ${frame.code}.`;
        this.error.dataset.code = frame.code;
        break;
      }
      default:
        break;
    }
  }

  // ---- the supervisor's moves

  whisper() {
    this.sendText("note", this.whisperText);
  }

  barge() {
    this.sendText("send", this.bargeText);
  }

  sendText(type, box) {
    const text = box.value.trim();
    if (!text) {
      this.error.textContent = type === "note" ? "Write the whisper first." : "Write the message first.";
      box.focus();
      return;
    }
    this.error.textContent = "";
    const clientId = this.host.connection.sendReliably(type, { sessionId: this.sessionId, text });
    this.pending.set(clientId, { kind: type, text });
    box.value = "";
    if (this.host.connection.state !== "open") this.state.textContent = "Not connected: it will be sent on reconnecting.";
  }

  takeOver() {
    this.error.textContent = "";
    if (!this.host.connection.send("take", { sessionId: this.sessionId })) {
      this.error.textContent = "Not connected to the server: try again once the connection is back.";
    }
  }

  assign() {
    this.error.textContent = "";
    const toAgent = Number(this.assignAgent.value);
    if (!toAgent) {
      this.error.textContent = "Choose an agent to assign the chat to.";
      this.assignAgent.focus();
      return;
    }
    if (!this.host.connection.send("transfer", { sessionId: this.sessionId, toAgent })) {
      this.error.textContent = "Not connected to the server: try again once the connection is back.";
    }
  }

  says(kind, ...parts) {
    replaceChildren(this.notice, ...parts);
    this.notice.dataset.kind = kind;
  }

  // ---- rendering

  renderEvent(e) {
    if (this.log.querySelector(`li[data-seq="${e.seq}"]`)) return;
    const author = e.author ?? {};
    const note = e.kind === "note";
    const message = e.kind === "message" || e.kind === "requested";
    const who = author.role === "system" ? "System" : `${author.name ?? ""} (${author.role ?? ""})`;
    const label = note ? `Whisper · ${who} · staff only` : message ? who : e.kind.replaceAll("_", " ");
    const item = el("li", { class: note ? "note" : message ? `message from-${author.role}` : "system", dataset: { seq: e.seq, kind: e.kind } },
      el("div", { class: "kind" }, `${label} · ${formatClock(e.at)}`),
      e.text ? el("p", { class: "text" }, e.text) : null);
    // In seq order: a replay may arrive after live events of a page that already had some.
    const after = [...this.log.children].find((li) => Number(li.dataset.seq) > e.seq);
    this.log.insertBefore(item, after ?? null);
    if (this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 120 || after === undefined) {
      this.log.scrollTop = this.log.scrollHeight;
    }
  }

  renderHead() {
    if (this.sessionId === null) return;
    const s = this.session();
    const state = s?.state ?? "queued";
    const mine = s?.agent?.id === this.me.id;
    this.title.textContent = `Live: chat ${this.sessionId}${s?.subject ? ` — ${s.subject}` : ""}`;
    const rows = [
      ["Customer", s ? `${s.customer?.name ?? ""} (${s.customer?.email ?? ""})` : "", "customer"],
      ["Organization", this.host.names.name(s?.organizationId), "organization"],
      ["Agent", s?.agent?.name ?? (state === "queued" ? "none yet (queued)" : "none"), "agent"],
      ["State", state === "queued" ? `queued since ${formatClock(s?.queuedAt)}` : state, "state"],
    ];
    replaceChildren(this.head, rows.map(([label, value, key]) => [el("dt", {}, label), el("dd", { dataset: { field: key } }, value)]));
    this.section.dataset.state = state;
    const ended = state === "closed";
    this.state.textContent = ended ? "This chat has ended."
      : this.synced ? "Following live: new events appear as they happen." : "Loading the conversation…";
    for (const control of this.section.querySelectorAll("#whisper-form textarea, #whisper-form button, #barge-form textarea, #barge-form button")) {
      control.disabled = ended;
    }
    this.takeBox.hidden = state !== "active" || mine;
    this.assignBox.hidden = state !== "queued";
  }

  /** The agents a queued chat can be assigned to: connected, not offline, under the cap (after every `agents` frame). */
  renderAgents() {
    if (this.sessionId === null || !this.assignAgent) return;
    const cap = this.host.cap;
    const choosable = this.host.agents.filter((a) => a.connected && a.status !== "offline" && a.activeSessions.length < cap);
    // Rebuilt only when the choice changes (an open list is not reset by an unrelated `agents` frame).
    const signature = JSON.stringify([cap, choosable.map((a) => [a.id, a.name, a.status, a.activeSessions.length])]);
    if (signature === this.agentsSignature && this.assignAgent.options.length) return;
    this.agentsSignature = signature;
    const chosen = this.assignAgent.value;
    replaceChildren(this.assignAgent, el("option", { value: "" }, "Choose an agent…"),
      choosable.map((a) => el("option", { value: String(a.id) },
        `${a.name} (${a.status}, ${a.activeSessions.length} of ${cap} chats)`)));
    if (chosen && choosable.some((a) => String(a.id) === chosen)) {
      this.assignAgent.value = chosen;
      this.assignHint.textContent = "";
    } else if (chosen) {
      const gone = this.host.agents.find((a) => String(a.id) === chosen);
      this.assignHint.textContent = `${gone?.name ?? "That agent"} can no longer take this chat; choose another.`;
    }
    this.assignButton.disabled = choosable.length === 0;
    if (!choosable.length) this.assignHint.textContent = "No agent is connected with room for another chat.";
  }

  /** Keeps the board's waiting time fresh in the head (called every second). */
  tick() {
    const s = this.session();
    const dd = this.head?.querySelector("dd[data-field='state']");
    if (dd && s?.state === "queued" && s.queuedAt) {
      dd.textContent = `queued for ${formatDuration((this.host.serverNow() - Date.parse(s.queuedAt)) / 1000)}`;
    }
  }
}
