// Alerts on the board: what needs a supervisor now.
// - a chat waiting longer than the threshold (chosen here), or past the policy's limit (`longWait` in `queue`);
// - an agent over the cap (`limits.agentSessionCap` of welcome vs `activeSessions` of `agents`), or not connected
//   while holding chats;
// - tickets whose first response is due within the "soon" window or overdue (GET /api/tickets?due=<now + window>;
//   refreshed every minute and when a `ticket` frame says a ticket changed).
// The list is redrawn every second; only a change in what is alerted is announced (the count, in a status region).
import { api, el, formatDuration, replaceChildren } from "../js/dom.js";

const TICKET_REFRESH_MS = 60_000;
const SOON_MINUTES = 60;

export class BoardAlerts {
  constructor(host) {
    this.host = host;
    this.tickets = [];
    this.ticketError = "";
    this.threshold = el("input", { id: "alert-wait-minutes", type: "number", min: "0", step: "any", value: "3",
      class: "narrow", "aria-describedby": "alert-wait-help" });
    this.threshold.addEventListener("input", () => this.render());
    this.list = el("ul", { id: "alert-list", class: "alert-list" });
    this.summary = el("p", { id: "alert-summary", role: "status", class: "muted" });
    this.lastKeys = "";
    /** sessionId -> its Watch button */
    this.buttons = new Map();
    this.timer = null;
    this.refreshing = false;
  }

  renderSection() {
    return el("section", { class: "card alerts", id: "alerts", "aria-labelledby": "alerts-title" },
      el("h2", { id: "alerts-title" }, "Alerts"),
      el("div", { class: "field-inline" },
        el("label", { for: "alert-wait-minutes" }, "Alert when a chat waits longer than"),
        this.threshold, el("span", { id: "alert-wait-help" }, "minutes")),
      this.summary, this.list);
  }

  start() {
    this.refreshTickets();
    this.timer = setInterval(() => this.refreshTickets(), TICKET_REFRESH_MS);
  }

  stop() {
    clearInterval(this.timer);
    clearTimeout(this.soon);
  }

  /** A `ticket` frame: refresh shortly (several changes in a burst make one request). */
  ticketChanged() {
    clearTimeout(this.soon);
    this.soon = setTimeout(() => this.refreshTickets(), 300);
  }

  async refreshTickets() {
    if (this.refreshing) return;
    this.refreshing = true;
    const due = new Date(this.host.serverNow() + SOON_MINUTES * 60_000).toISOString();
    let response;
    try {
      response = await api("GET", `/api/tickets?due=${encodeURIComponent(due)}&limit=100`, { token: this.host.auth.token });
    } catch {
      response = null;
    }
    this.refreshing = false;
    if (!response) {
      this.ticketError = "Tickets cannot be checked: the server cannot be reached.";
    } else if (response.status !== 200) {
      this.ticketError = response.body?.error?.message ?? `Tickets cannot be checked (${response.status}).`;
    } else {
      this.ticketError = "";
      this.tickets = response.body.tickets ?? [];
    }
    this.render();
  }

  thresholdSeconds() {
    const minutes = Number(this.threshold.value);
    return Number.isFinite(minutes) && minutes >= 0 ? minutes * 60 : Infinity;
  }

  /** [{key, kind, level, text}] */
  alerts() {
    const now = this.host.serverNow();
    const out = [];
    const limit = this.thresholdSeconds();
    for (const q of this.host.queuedRows()) {
      const waited = (now - Date.parse(q.queuedAt)) / 1000;
      const long = q.longWait === true || q.waitOffer === "offered" || q.waitOffer === "declined";
      if (waited > limit || long) {
        const who = [this.host.names.name(q.organizationId), q.customerName ?? q.customer?.name].filter(Boolean).join(", ");
        out.push({ key: `wait-${q.id}`, kind: "long_wait", level: long ? "high" : "warn", sessionId: q.id,
          text: `Chat ${q.id} (${who}) has waited ${formatDuration(waited)}${long ? ", past the limit: the customer was offered a ticket" : ""}.` });
      }
    }
    const cap = this.host.cap;
    for (const a of this.host.agents) {
      const held = a.activeSessions.length;
      if (held > cap) {
        out.push({ key: `cap-${a.id}`, kind: "over_cap", level: "warn",
          text: `${a.name} holds ${held} chats, over the cap of ${cap}.` });
      }
      if (!a.connected && held > 0) {
        out.push({ key: `gone-${a.id}`, kind: "agent_gone", level: "high",
          text: `${a.name} is not connected and holds ${held} chat${held === 1 ? "" : "s"} (they go back to the queue if ${a.name} does not return).` });
      }
    }
    for (const t of this.tickets) {
      if (t.status === "closed" || t.firstRespondedAt) continue;
      const due = Date.parse(t.firstResponseDue);
      const missed = due <= now;
      const span = formatMinutes(Math.abs(due - now) / 1000);
      out.push({ key: `ticket-${t.number}`, kind: missed ? "ticket_missed" : "ticket_due", level: missed ? "high" : "warn",
        text: missed
          ? `Ticket #${t.number} (${t.subject}) missed its first response ${span} ago.`
          : `Ticket #${t.number} (${t.subject}) needs its first response within ${span}.` });
    }
    return out;
  }

  /** One node per chat, kept across redraws (as the board's Watch buttons). */
  watchButton(id) {
    let button = this.buttons.get(id);
    if (!button) {
      button = el("button", { type: "button", class: "secondary small", dataset: { focusKey: `alert-watch-${id}` },
        "aria-label": `Watch chat ${id} live`, onclick: () => this.host.watch(id) }, "Watch");
      this.buttons.set(id, button);
    }
    return button;
  }

  render() {
    const alerts = this.alerts();
    for (const id of this.buttons.keys()) if (!alerts.some((a) => a.sessionId === id)) this.buttons.delete(id);
    const keep = this.list.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
    replaceChildren(this.list, alerts.length
      ? alerts.map((a) => el("li", { class: `alert level-${a.level}`, dataset: { kind: a.kind, key: a.key } },
        el("span", { class: "alert-kind" }, KIND_TEXT[a.kind]), " ", a.text,
        a.sessionId ? [" ", this.watchButton(a.sessionId)] : null))
      : el("li", { class: "muted none" }, "Nothing needs attention."));
    if (this.ticketError) this.list.append(el("li", { class: "error-text", dataset: { kind: "ticket_error" } }, this.ticketError));
    if (keep) this.list.querySelector(`[data-focus-key="${keep}"]`)?.focus({ preventScroll: true });
    const keys = alerts.map((a) => a.key).join(",");
    if (keys !== this.lastKeys) {
      this.lastKeys = keys;
      this.summary.textContent = alerts.length ? `${alerts.length} alert${alerts.length === 1 ? "" : "s"}.` : "No alerts.";
    }
  }
}

const KIND_TEXT = {
  long_wait: "Long wait:", over_cap: "Over the cap:", agent_gone: "Agent gone:",
  ticket_due: "First response due soon:", ticket_missed: "First response missed:",
};

function formatMinutes(seconds) {
  const minutes = Math.round(seconds / 60);
  if (minutes < 1) return "less than a minute";
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${String(minutes % 60).padStart(2, "0")} min`;
}
