// "My tickets": the tickets of the customer's organization (the server scopes `GET /api/tickets` to it), one ticket
// with its replies, a reply box, and a live notice when staff answer or move a ticket (`ticket` frames on the
// widget's WebSocket, docs/PROTOCOL.md §3). Renders into its own pane, so a chat in progress keeps its view.
// Every user-provided string is rendered as text through el().
import { api, el, formatDateTime, replaceChildren } from "../js/dom.js";

export const STATUS_LABELS = {
  new: "New", open: "Open", awaiting_reply: "Awaiting your reply", on_hold: "On hold", closed: "Closed",
};

/** Entry kinds a customer is shown (internal notes and on-call bookkeeping are staff matters). */
const SHOWN_KINDS = new Set(["created", "reply", "status_changed", "oncall_notified"]);

export function statusLabel(status) {
  return STATUS_LABELS[status] ?? String(status ?? "").replace(/_/g, " ");
}

export class MyTickets {
  /**
   * @param {object} host the widget: `token`, `id`, `productName(id)`, `buildTicketForm(prefill, callbacks)`,
   *   `ticketsPaneShown(shown)` (the widget swaps its panes and header button), `noticeTicket(text, number)`
   */
  constructor(host) {
    this.host = host;
    this.pane = el("div", { class: "cw-pane cw-tickets", hidden: true, "aria-label": "My tickets", role: "region" });
    this.view = null; // "list" | "ticket" | "new"
    this.openNumber = null;
    this.tickets = [];
  }

  get shown() {
    return !this.pane.hidden;
  }

  show(name, ...children) {
    this.view = name;
    this.pane.dataset.view = name;
    replaceChildren(this.pane, ...children);
  }

  focusFirst() {
    const target = this.pane.querySelector("[data-autofocus]") ?? this.pane.querySelector("button, textarea, input, select");
    target?.focus();
  }

  async request(method, path, body) {
    try {
      return await api(method, path, { token: this.host.token, body });
    } catch {
      return { status: 0, body: null };
    }
  }

  // ---- list

  async showList({ focus = true } = {}) {
    this.openNumber = null;
    const list = el("ul", { class: "cw-ticket-list", "aria-busy": "true" });
    const message = el("p", { class: "cw-hint", role: "status" }, "Loading your tickets…");
    this.show("list",
      el("div", { class: "cw-pane-head" },
        el("h3", {}, "My tickets"),
        el("button", { type: "button", class: "cw-primary", "data-autofocus": true, onclick: () => this.showNew() }, "New ticket")),
      message, list);
    if (focus) this.focusFirst();
    const result = await this.request("GET", "/api/tickets?limit=100");
    if (this.view !== "list") return;
    list.removeAttribute("aria-busy");
    if (result.status !== 200) {
      message.textContent = result.body?.error?.message ?? "Your tickets could not be loaded. Check your connection and try again.";
      return;
    }
    this.tickets = result.body.tickets ?? [];
    message.textContent = this.tickets.length ? "" : "Your organization has no tickets yet.";
    message.hidden = this.tickets.length > 0;
    this.renderList(list);
  }

  renderList(list = this.pane.querySelector(".cw-ticket-list")) {
    if (!list) return;
    replaceChildren(list, this.tickets.map((ticket) => el("li", { dataset: { number: String(ticket.number), status: ticket.status } },
      el("button", { type: "button", class: "cw-ticket-row", onclick: () => this.showTicket(ticket.number) },
        el("span", { class: "cw-ticket-row-title" }, `#${ticket.number} ${ticket.subject}`),
        el("span", { class: `cw-status-pill cw-status-${ticket.status}` }, statusLabel(ticket.status)),
        el("span", { class: "cw-ticket-row-meta" },
          `${this.host.productName(ticket.product)} · ${ticket.customer?.name ?? ""} · ${formatDateTime(ticket.createdAt)}`)))));
  }

  // ---- one ticket

  async showTicket(number, { focus = true } = {}) {
    this.openNumber = number;
    const result = await this.request("GET", `/api/tickets/${number}`);
    if (this.openNumber !== number) return;
    if (result.status !== 200) {
      this.show("ticket",
        el("p", { class: "cw-error", role: "alert" }, result.body?.error?.message ?? "This ticket could not be loaded."),
        el("button", { type: "button", class: "cw-secondary", onclick: () => this.showList() }, "Back to my tickets"));
      return;
    }
    this.renderTicket(result.body.ticket, result.body.history ?? [], { focus });
  }

  renderTicket(ticket, history, { focus = true, draft = "", notice = "" } = {}) {
    const ids = (name) => `${this.host.id}-tk-${name}`;
    const entries = history.filter((entry) => SHOWN_KINDS.has(entry.kind)).map((entry) => this.entryItem(ticket, entry));
    const closed = ticket.status === "closed";
    const text = el("textarea", { id: ids("reply"), class: "cw-input", rows: 3, maxlength: 20000 });
    text.value = draft;
    const error = el("p", { class: "cw-error", role: "alert" });
    const send = el("button", { type: "submit", class: "cw-primary" }, "Send reply");
    const replyForm = closed
      ? el("div", { class: "cw-ticket-closed" },
        el("p", {}, "This ticket is closed. To follow up, open a new ticket."),
        el("button", { type: "button", class: "cw-primary", onclick: () => this.showNew({ subject: `Follow-up to #${ticket.number}: ${ticket.subject}`.slice(0, 200), product: ticket.product }) }, "Open a new ticket"))
      : el("form", {
        class: "cw-ticket-reply", novalidate: true,
        onsubmit: (e) => {
          e.preventDefault();
          this.reply(ticket.number, text, send, error);
        },
      },
      el("label", { for: text.id }, "Your reply"), text, error,
      el("div", { class: "cw-actions" }, send));
    const log = el("ol", { class: "cw-ticket-history", "aria-label": `History of ticket ${ticket.number}` }, entries);
    this.show("ticket",
      el("div", { class: "cw-pane-head" },
        el("button", { type: "button", class: "cw-link", "data-autofocus": true, onclick: () => this.showList() }, "← All tickets"),
        el("span", { class: `cw-status-pill cw-status-${ticket.status}`, dataset: { status: ticket.status } }, statusLabel(ticket.status))),
      el("h3", { class: "cw-ticket-title", dataset: { number: String(ticket.number) } }, `#${ticket.number} ${ticket.subject}`),
      el("p", { class: "cw-hint" }, `${this.host.productName(ticket.product)} · opened ${formatDateTime(ticket.createdAt)} by ${ticket.customer?.name ?? "your organization"}`),
      el("p", { class: "cw-ticket-live", role: "status", "aria-live": "polite" }, notice),
      log, replyForm);
    this.ticket = ticket;
    log.scrollTop = log.scrollHeight;
    if (focus) this.focusFirst();
  }

  entryItem(ticket, entry) {
    const who = entry.actor?.role === "customer" ? (entry.actor.name ?? "You") : (entry.actor?.name ?? "Support");
    const own = entry.actor?.role === "customer";
    switch (entry.kind) {
      case "created":
        return el("li", { class: `cw-msg ${own ? "cw-own" : "cw-theirs"}`, dataset: { seq: String(entry.seq), kind: entry.kind, role: entry.actor?.role ?? "" } },
          el("span", { class: "cw-msg-meta" }, `${who} opened the ticket · ${formatDateTime(entry.at)}`),
          el("p", { class: "cw-msg-text" }, ticket.description ?? ""));
      case "reply":
        return el("li", { class: `cw-msg ${own ? "cw-own" : "cw-theirs"}`, dataset: { seq: String(entry.seq), kind: entry.kind, role: entry.actor?.role ?? "" } },
          el("span", { class: "cw-msg-meta" }, `${who} · ${formatDateTime(entry.at)}`),
          el("p", { class: "cw-msg-text" }, entry.text ?? ""));
      case "status_changed":
        return el("li", { class: "cw-note", dataset: { seq: String(entry.seq), kind: entry.kind } },
          el("span", {}, entry.actor?.role === "system" || !entry.actor?.name
            ? `Status changed to ${statusLabel(entry.toStatus)}.`
            : `${who} changed the status to ${statusLabel(entry.toStatus)}.`));
      default:
        return el("li", { class: "cw-note", dataset: { seq: String(entry.seq), kind: entry.kind } },
          el("span", {}, entry.kind === "oncall_notified" ? "On-call staff were alerted." : (entry.text ?? entry.kind)));
    }
  }

  async reply(number, textarea, send, error) {
    const text = textarea.value.trim();
    error.textContent = "";
    if (!text) {
      error.textContent = "Write your reply first.";
      textarea.focus();
      return;
    }
    send.disabled = true;
    send.textContent = "Sending…";
    const result = await this.request("POST", `/api/tickets/${number}/replies`, { text });
    send.disabled = false;
    send.textContent = "Send reply";
    if (result.status === 200) {
      textarea.value = "";
      await this.showTicket(number, { focus: false });
      this.pane.querySelector(".cw-ticket-reply textarea")?.focus();
      return;
    }
    if (result.body?.error?.code === "ticket_closed") {
      await this.showTicket(number, { focus: false });
      const live = this.pane.querySelector(".cw-ticket-live");
      if (live) live.textContent = "This ticket was closed meanwhile: your reply was not added. Open a new ticket to follow up.";
      return;
    }
    error.textContent = result.body?.error?.message ?? "Your reply could not be sent. Check your connection and try again.";
  }

  // ---- a new ticket (the widget's ticket form, placed in this pane)

  showNew(prefill = {}) {
    const form = this.host.buildTicketForm(prefill, {
      onCreated: (ticket) => this.showTicket(ticket.number),
      onCancel: () => this.showList(),
    });
    this.show("new", form);
    this.focusFirst();
  }

  // ---- live updates

  /**
   * A `ticket` frame: refresh what is on screen, and tell the customer when someone else (staff) answered or
   * moved one of the organization's tickets. Their own replies come back as frames too: those are not news.
   */
  async onTicketFrame(frame) {
    const ticket = frame.ticket;
    if (!ticket) return;
    const index = this.tickets.findIndex((t) => t.number === ticket.number);
    if (index >= 0) this.tickets[index] = ticket;
    else this.tickets.unshift(ticket);
    if (this.shown && this.view === "list") this.renderList();
    if (frame.change !== "reply" && frame.change !== "status") return;
    const result = await this.request("GET", `/api/tickets/${ticket.number}`);
    if (result.status !== 200) return;
    const history = result.body.history ?? [];
    const last = [...history].reverse().find((entry) => entry.kind === frame.change || (frame.change === "status" && entry.kind === "status_changed"));
    const byStaff = last && last.actor?.role !== "customer" && last.actor?.role !== "system";
    let notice = "";
    if (byStaff && frame.change === "reply") notice = `${last.actor?.name ?? "Support"} replied to ticket #${ticket.number}.`;
    else if (byStaff) notice = `Ticket #${ticket.number} is now ${statusLabel(ticket.status)}.`;
    const viewing = this.shown && this.view === "ticket" && this.openNumber === ticket.number;
    if (viewing) {
      const draft = this.pane.querySelector(".cw-ticket-reply textarea")?.value ?? "";
      const hadFocus = this.pane.contains(document.activeElement) && document.activeElement?.tagName === "TEXTAREA";
      this.renderTicket(result.body.ticket, history, { focus: false, draft, notice });
      if (hadFocus) this.pane.querySelector(".cw-ticket-reply textarea")?.focus();
    }
    if (notice) this.host.noticeTicket(notice, ticket.number, { viewing });
  }
}
