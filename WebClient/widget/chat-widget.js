// The customer chat widget: launcher, panel, pre-chat form, refusals and tickets, the conversation.
// Views of their own live in their own modules: availability.js (chat closed or not offered, told up front from
// `welcome`; the expected wait), my-tickets.js (the organization's tickets, in a pane beside the current view),
// rating.js (CSAT after a chat ends). This file hands them the connection's frames and swaps the panes.
// Delivery (reconnect, resume, resend, page-reload persistence) is ChatConnection's job; this file only renders
// what it hands over. Every user-provided string is rendered as text through el() (never innerHTML).
import { ChatConnection, newClientId } from "../js/chat-connection.js";
import { api, el, formatClock, formatDuration, replaceChildren } from "../js/dom.js";
import { explainRefusal, TICKET_ALTERNATIVE } from "./explain.js";
import { describeWait, unavailableReason } from "./availability.js";
import { MyTickets } from "./my-tickets.js";
import { ChatRating } from "./rating.js";
import { installAttachControls, withAttachment } from "../js/attachments.js";

const TYPING_REPEAT_MS = 3000; // resend "typing: true" at most this often while the customer types
const TYPING_IDLE_MS = 4000; // "typing: false" after this long without a keystroke
const THEIR_TYPING_TIMEOUT_MS = 8000; // hide "Ann is typing…" if the stop frame never comes
const OPEN_KEY = "chatd-widget-open";

let widgetCount = 0;

/** The contact id and organization of a customer JWT (not verified here: the server does that). */
function tokenIdentity(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(payload));
    return `${claims.org}:${claims.sub}`;
  } catch {
    return "unknown";
  }
}

export class ChatWidget {
  /**
   * @param {object} options
   * @param {string} [options.token] customer JWT; may come later through setToken()
   * @param {string} [options.product] product id preselected in the pre-chat form
   * @param {HTMLElement} [options.container] where to render (default: document.body)
   * @param {string} [options.socketUrl] WebSocket URL (default: /ws of the page's server)
   */
  constructor({ token, product, container = document.body, socketUrl } = {}) {
    this.product = product;
    this.container = container;
    this.socketUrl = socketUrl;
    this.id = `cw${++widgetCount}`;
    this.conn = null;
    this.welcome = null;
    this.started = false;
    this.view = null;
    this.ticketFormCount = 0;
    this.resetSessionState();
    this.buildShell();
    if (token) this.setToken(token);
    else this.showWaitingForToken();
  }

  resetSessionState() {
    this.sessionId = null;
    this.pendingRequest = null; // {clientId, product, subject, text, urgent} until acked
    this.sessionState = null; // queued | active | closed
    this.agentName = null;
    this.agentReadSeq = 0;
    this.readSent = 0;
    this.lastSeq = 0;
    this.ticketNumber = null;
    this.queuePosition = null;
    this.expectedWaitSeconds = null;
    this.budget = null;
    this.activeOffer = null;
    this.activeProposal = null;
    this.awaitingAnswer = null;
    this.chatView = null;
    this.typingSentAt = 0;
    this.typingActive = false;
  }

  // ------------------------------------------------------------------ shell

  buildShell() {
    const panelId = `${this.id}-panel`;
    const titleId = `${this.id}-title`;
    this.badge = el("span", { class: "cw-badge", hidden: true, "aria-hidden": "true" });
    this.launcher = el("button", {
      type: "button", class: "cw-launcher", "aria-expanded": "false", "aria-controls": panelId,
      onclick: () => this.toggle(),
    }, el("span", { class: "cw-launcher-label" }, "Chat with support"), this.badge);
    this.closeButton = el("button", {
      type: "button", class: "cw-icon-button", "aria-label": "Close the chat panel", onclick: () => this.close(),
    }, "✕");
    this.banner = el("div", { class: "cw-banner", role: "status", "aria-live": "polite" });
    this.body = el("div", { class: "cw-body" });
    this.myTickets = new MyTickets(this);
    this.ticketsBadge = el("span", { class: "cw-tickets-badge", hidden: true });
    this.ticketsButton = el("button", {
      type: "button", class: "cw-header-button", hidden: true, "aria-pressed": "false", onclick: () => this.toggleTickets(),
    }, el("span", { class: "cw-tickets-label" }, "My tickets"), this.ticketsBadge);
    this.ticketNotice = el("div", { class: "cw-ticket-notice", role: "status", "aria-live": "polite", hidden: true });
    this.panel = el("section", {
      class: "cw-panel", id: panelId, role: "region", "aria-labelledby": titleId, hidden: true,
      onkeydown: (e) => {
        if (e.key === "Escape") {
          e.preventDefault();
          this.close();
        }
      },
    },
    el("header", { class: "cw-header" },
      el("h2", { class: "cw-title", id: titleId }, "Support chat"),
      this.ticketsButton,
      this.closeButton),
    this.banner,
    this.ticketNotice,
    this.body,
    this.myTickets.pane);
    this.root = el("div", { class: "cw-root", "data-chat-widget": "" }, this.panel, this.launcher);
    this.container.append(this.root);
    document.addEventListener("visibilitychange", () => this.maybeSendRead());
    this.countdownTimer = setInterval(() => this.renderBudget(), 1000);
    const fit = () => this.fitViewport();
    window.addEventListener("resize", fit);
    window.visualViewport?.addEventListener("resize", fit);
    window.visualViewport?.addEventListener("scroll", fit);
    fit();
    if (sessionStorage.getItem(OPEN_KEY) === "1") this.open({ focus: false });
  }

  /**
   * Phones: the open panel covers the visible viewport (widget.css, .cw-narrow). Judged by the screen, not the
   * layout viewport: a host page wider than the screen (or without a viewport meta tag) widens the latter.
   */
  fitViewport() {
    const narrow = Math.min(window.innerWidth, window.screen?.width || Infinity) <= 480;
    this.root.classList.toggle("cw-narrow", narrow);
    const vv = window.visualViewport;
    if (!narrow || !vv) return;
    const style = this.root.style; // CSSOM custom properties: allowed by the CSP (no style attribute in markup)
    const scale = vv.scale || 1;
    style.setProperty("--cw-vv-left", `${vv.offsetLeft}px`);
    style.setProperty("--cw-vv-top", `${vv.offsetTop}px`);
    style.setProperty("--cw-vv-width", `${vv.width * scale}px`);
    style.setProperty("--cw-vv-height", `${vv.height * scale}px`);
    style.setProperty("--cw-vv-inverse-scale", String(1 / scale));
  }

  get isOpen() {
    return !this.panel.hidden;
  }

  open({ focus = true } = {}) {
    this.panel.hidden = false;
    this.launcher.setAttribute("aria-expanded", "true");
    this.root.classList.add("cw-is-open");
    this.fitViewport();
    sessionStorage.setItem(OPEN_KEY, "1");
    this.unread = 0;
    this.renderBadge();
    if (focus) this.focusFirst();
    this.maybeSendRead();
    this.scrollTranscript();
  }

  close() {
    this.panel.hidden = true;
    this.launcher.setAttribute("aria-expanded", "false");
    this.root.classList.remove("cw-is-open");
    sessionStorage.setItem(OPEN_KEY, "0");
    this.launcher.focus();
  }

  toggle() {
    if (this.isOpen) this.close();
    else this.open();
  }

  focusFirst() {
    const target = this.body.querySelector("[data-autofocus]") ??
      this.body.querySelector("textarea:not([disabled]), input:not([disabled]), select, button:not([disabled])") ??
      this.closeButton;
    target.focus();
  }

  setBanner(text, kind = "info") {
    this.banner.className = `cw-banner cw-banner-${kind}`;
    this.banner.textContent = text ?? "";
    this.banner.hidden = !text;
  }

  show(name, ...children) {
    if (this.myTickets.shown) this.toggleTickets(false);
    this.view = name;
    this.body.dataset.view = name;
    replaceChildren(this.body, ...children);
    if (this.isOpen) this.focusFirst();
  }

  // ------------------------------------------------------------------ my tickets (my-tickets.js)

  /** Shows My tickets in place of the current view (which keeps its state), or goes back to it. */
  toggleTickets(shown = !this.myTickets.shown) {
    this.myTickets.pane.hidden = !shown;
    this.body.hidden = shown;
    this.ticketsButton.setAttribute("aria-pressed", String(shown));
    this.ticketsButton.querySelector(".cw-tickets-label").textContent = shown ? this.backLabel() : "My tickets";
    if (shown) {
      this.ticketNotice.hidden = true;
      this.ticketsBadge.hidden = true;
      this.ticketsBadge.textContent = "";
      if (this.myTickets.view === null || this.myTickets.view === "list") this.myTickets.showList();
      else this.myTickets.focusFirst();
    } else if (this.isOpen) {
      this.focusFirst();
      this.scrollTranscript();
    }
  }

  backLabel() {
    return this.view === "chat" && this.sessionState !== "closed" ? "Back to chat" : "Back";
  }

  /** A ticket of the organization was answered or moved by staff: say so wherever the customer is. */
  noticeTicket(text, number, { viewing = false } = {}) {
    if (!viewing) {
      replaceChildren(this.ticketNotice, el("span", {}, text), " ",
        el("button", {
          type: "button", class: "cw-link", onclick: () => {
            this.ticketNotice.hidden = true;
            if (!this.myTickets.shown) this.toggleTickets(true);
            this.myTickets.showTicket(number);
          },
        }, `View ticket #${number}`));
      this.ticketNotice.hidden = false;
      this.ticketNotice.dataset.number = String(number);
      if (!this.myTickets.shown) {
        this.ticketsBadge.textContent = String(Number(this.ticketsBadge.textContent || 0) + 1);
        this.ticketsBadge.hidden = false;
      }
    }
    if (!this.isOpen) {
      this.unread = (this.unread ?? 0) + 1;
      this.renderBadge();
    }
  }

  // ------------------------------------------------------------------ connection

  /** Hands the customer token over (at mount, or later from the host page). */
  setToken(token) {
    if (!token || token === this.token) return;
    this.token = token;
    if (this.conn) this.conn.stop();
    this.started = false;
    this.resetSessionState();
    const options = { token, storageKey: `chatd-widget:${tokenIdentity(token)}` };
    if (this.socketUrl) options.url = this.socketUrl;
    const conn = new ChatConnection(options);
    this.conn = conn;
    conn.addEventListener("state", (e) => this.onState(e.detail.state));
    conn.addEventListener("welcome", (e) => this.onWelcome(e.detail.frame));
    conn.addEventListener("event", (e) => this.onEvent(e.detail.event));
    conn.addEventListener("ack", (e) => this.onAck(e.detail.clientId, e.detail.sessionId, e.detail.event));
    conn.addEventListener("frame", (e) => this.onFrame(e.detail.frame));
    this.show("loading", el("p", { class: "cw-center" }, "Connecting to support…"));
    conn.start();
  }

  showWaitingForToken() {
    this.show("waiting", el("p", { class: "cw-center" }, "Chat becomes available once you are signed in."));
  }

  onState(state) {
    this.root.dataset.connection = state;
    if (state === "reconnecting") {
      this.setBanner("Reconnecting… Messages you write now are sent as soon as the connection is back.", "warning");
    } else if (state === "connecting") {
      this.setBanner("Connecting…", "info");
    } else if (state === "auth_failed") {
      this.setBanner(null);
      this.show("auth_failed", el("div", { class: "cw-explain" },
        el("h3", {}, "Chat is unavailable"),
        el("p", {}, "Your sign-in for chat has expired or is not valid. Reload the page to sign in again.")));
    } else {
      this.setBanner(null);
    }
    this.updateComposer();
  }

  onWelcome(frame) {
    this.welcome = frame;
    if (this.started) {
      // A reconnect: ChatConnection resumes and resends by itself; the view stays as it is.
      this.maybeSendRead();
      return;
    }
    this.started = true;
    this.ticketsButton.hidden = false;
    const pendingRequest = [...this.conn.outbox.values()].find((f) => f.type === "request_chat");
    if (pendingRequest) {
      this.pendingRequest = pendingRequest;
      this.showChat();
      return;
    }
    if (this.conn.followed.size > 0) {
      // A page reload: the followed chat is being replayed.
      this.sessionId = Math.max(...this.conn.followed);
      this.showChat();
      return;
    }
    this.backToStart();
  }

  onFrame(frame) {
    switch (frame.type) {
      case "session":
        this.onSession(frame.session);
        break;
      case "queue_position":
        if (frame.sessionId === this.sessionId) {
          this.queuePosition = frame.position;
          this.expectedWaitSeconds = frame.expectedWaitSeconds ?? null;
          this.renderStatus();
        }
        break;
      case "typing":
        if (frame.sessionId === this.sessionId && frame.role !== "customer") this.showTheirTyping(frame.active);
        break;
      case "read":
        if (frame.sessionId === this.sessionId && frame.role === "agent") {
          this.agentReadSeq = Math.max(this.agentReadSeq, frame.seq);
          this.renderReceipts();
        }
        break;
      case "budget":
        if (frame.sessionId === this.sessionId) this.setBudget(frame);
        break;
      case "ticket_created":
        this.onUrgentTicket(frame);
        break;
      case "ticket":
        this.myTickets.onTicketFrame(frame);
        break;
      case "error":
        this.onError(frame);
        break;
      default:
        break;
    }
  }

  onSession(session) {
    if (this.sessionId !== null && session.id < this.sessionId) return;
    if (this.pendingRequest && session.state !== "closed") {
      // The chat we asked for (its session frame comes before the ack).
      this.sessionId = session.id;
    }
    if (session.id !== this.sessionId) {
      if (session.state === "closed") return;
      // An open chat this page did not know (another tab, or storage cleared): show it.
      this.resetSessionState();
      this.sessionId = session.id;
      this.showChat();
    }
    if (!this.conn.followed.has(session.id)) this.conn.follow(session.id);
    this.sessionState = session.state;
    if (session.agent) this.agentName = session.agent.name;
    this.agentReadSeq = Math.max(this.agentReadSeq, session.agentReadSeq ?? 0);
    this.readSent = Math.max(this.readSent, session.customerReadSeq ?? 0);
    if (session.ticketNumber) this.ticketNumber = session.ticketNumber;
    if (session.budget) this.setBudget(session.budget);
    if (this.view !== "chat") this.showChat();
    this.renderStatus();
    this.renderReceipts();
    this.updateComposer();
  }

  onAck(clientId, sessionId, event) {
    if (this.pendingRequest?.clientId === clientId) {
      this.pendingRequest = null;
      if (sessionId != null) this.sessionId = sessionId;
    }
    const item = this.findPending(clientId);
    if (item && !event) {
      item.classList.remove("cw-pending");
      this.setItemStatus(item, "sent");
    }
  }

  onEvent(event) {
    if (this.sessionId === null || event.sessionId > this.sessionId) {
      if (this.pendingRequest) {
        if (event.clientId !== this.pendingRequest.clientId) return;
        this.sessionId = event.sessionId;
      } else {
        // A newer chat than the one shown (e.g. opened in another tab).
        this.resetSessionState();
        this.sessionId = event.sessionId;
        this.showChat();
      }
    }
    if (event.sessionId !== this.sessionId || !this.chatView) return;
    this.lastSeq = Math.max(this.lastSeq, event.seq);
    this.applyEvent(event);
    this.renderEventItem(event);
    if (!this.isOpen && event.author?.role !== "customer" && (event.kind === "message" || event.kind === "conversion_offered" || event.kind === "services_proposed")) {
      this.unread = (this.unread ?? 0) + 1;
      this.renderBadge();
    }
    this.maybeSendRead();
  }

  onError(frame) {
    if (this.pendingRequest && (frame.ref === this.pendingRequest.clientId || TICKET_ALTERNATIVE.has(frame.code) ||
        frame.code === "already_in_chat" || frame.code === "unknown_product")) {
      const request = this.pendingRequest;
      this.conn.discard(request.clientId);
      this.pendingRequest = null;
      this.chatView = null;
      this.showRefusal(frame, request);
      return;
    }
    const item = frame.ref ? this.findPending(frame.ref) : null;
    if (item) {
      const retry = frame.code === "rate_limited" || frame.code === "server_busy";
      this.setItemStatus(item, retry ? "waiting to resend…" : `not sent: ${frame.message}`);
      if (!retry) item.classList.add("cw-failed");
      return;
    }
    // Refusals of an offer or proposal answer (e.g. ticket_creation_failed): show them and let the customer retry.
    // Other frames without a ref (read, typing) may race a close and be refused harmlessly: not worth a note.
    const card = this.awaitingAnswer;
    if (card && this.chatView) {
      this.awaitingAnswer = null;
      for (const button of card.querySelectorAll(".cw-actions button")) button.disabled = false;
      const outcome = card.querySelector(".cw-card-outcome");
      if (outcome) outcome.textContent = frame.message || "Your answer could not be sent; try again.";
    }
  }

  // ------------------------------------------------------------------ pre-chat form

  productName(id) {
    return this.welcome?.products?.find((p) => p.id === id)?.name ?? id;
  }

  productSelect(id, { chatOnlyHint = false, selected } = {}) {
    const products = this.welcome?.products ?? [];
    const select = el("select", { id, name: "product", required: true },
      products.map((p) => el("option", { value: p.id, selected: p.id === (selected ?? this.product) },
        chatOnlyHint && !p.chatOffered ? `${p.name} (tickets only)` : p.name)));
    return select;
  }

  showPrechat(prefill = {}) {
    const ids = (name) => `${this.id}-pre-${name}`;
    const select = this.productSelect(ids("product"), { chatOnlyHint: true, selected: prefill.product });
    const hint = el("p", { class: "cw-hint", id: ids("product-hint"), "aria-live": "polite" });
    const subject = el("input", { id: ids("subject"), name: "subject", type: "text", required: true, maxlength: 200, autocomplete: "off", value: prefill.subject });
    const text = el("textarea", { id: ids("text"), name: "text", rows: 4, required: true, maxlength: this.maxLength() });
    text.value = prefill.text ?? "";
    const urgent = el("input", { id: ids("urgent"), name: "urgent", type: "checkbox", checked: prefill.urgent });
    const error = el("p", { class: "cw-error", role: "alert" });
    const start = el("button", { type: "submit", class: "cw-primary" }, "Start chat");
    const ticketInstead = el("button", {
      type: "button", class: "cw-secondary", hidden: true,
      onclick: () => this.showTicketForm({ product: select.value, subject: subject.value, description: text.value, urgent: urgent.checked }),
    }, "Open a ticket instead");
    const updateHint = () => {
      const product = this.welcome?.products?.find((p) => p.id === select.value);
      const chat = product?.chatOffered !== false;
      hint.textContent = chat ? "" : `Live chat isn't offered for ${product.name}: questions about it are answered by ticket.`;
      start.hidden = !chat;
      ticketInstead.hidden = chat;
      select.setAttribute("aria-describedby", chat ? "" : hint.id);
    };
    select.addEventListener("change", updateHint);
    const form = el("form", {
      class: "cw-form", novalidate: true,
      onsubmit: (e) => {
        e.preventDefault();
        error.textContent = "";
        if (!subject.value.trim() || !text.value.trim()) {
          error.textContent = "Please fill in a subject and your question.";
          (subject.value.trim() ? text : subject).focus();
          return;
        }
        this.startChat({ product: select.value, subject: subject.value.trim(), text: text.value.trim(), urgent: urgent.checked });
      },
    },
    el("p", { class: "cw-intro" }, `Hi ${this.welcome?.customer?.name ?? ""}! Tell us what you need and an agent will join you.`),
    this.prechatWait(),
    el("label", { for: select.id }, "Product"), select, hint,
    el("label", { for: subject.id }, "Subject"), subject,
    el("label", { for: text.id }, "Your question"), text,
    el("div", { class: "cw-check" }, urgent,
      el("label", { for: urgent.id }, "Urgent: we cannot take orders or produce a job")),
    error,
    el("div", { class: "cw-actions" }, start, ticketInstead));
    this.show("prechat", form);
    updateHint();
  }

  /** The queue's expected wait from `welcome.availability`, when the server knows it (availability.js). */
  prechatWait() {
    const seconds = this.welcome?.availability?.expectedWaitSeconds;
    if (typeof seconds !== "number" || seconds <= 0) return null;
    return el("p", { class: "cw-hint cw-prechat-wait" }, `Expected wait right now: ${describeWait(seconds)}.`);
  }

  startChat({ product, subject, text, urgent }) {
    this.resetSessionState();
    const clientId = this.conn.requestChat({ product, subject, text, urgent });
    this.pendingRequest = { type: "request_chat", clientId, product, subject, text, urgent };
    this.showChat();
  }

  maxLength() {
    return this.welcome?.limits?.maxMessageLength ?? 4000;
  }

  // ------------------------------------------------------------------ refusals and tickets

  showRefusal(frame, request = {}) {
    const info = explainRefusal(frame, { organization: this.welcome?.organization, productName: this.productName(request.product ?? this.product) });
    const buttons = [];
    if (info.ticket) {
      buttons.push(el("button", {
        type: "button", class: "cw-primary", "data-autofocus": true,
        onclick: () => this.showTicketForm({ product: request.product, subject: request.subject, description: request.text, urgent: request.urgent }),
      }, "Open a ticket instead"));
    }
    if (this.welcome?.organization?.liveChat !== false) {
      buttons.push(el("button", { type: "button", class: "cw-secondary", onclick: () => this.showPrechat(request) }, "Back"));
    }
    this.show("refusal", el("div", { class: "cw-explain", "data-code": frame.code },
      el("h3", {}, info.title),
      el("p", {}, info.text),
      el("div", { class: "cw-actions" }, buttons)));
  }

  showTicketForm(prefill = {}) {
    this.show("ticket_form", this.buildTicketForm(prefill, {
      onCreated: (ticket, { onCallNotified }) => this.showTicketDone(ticket.number, { urgent: ticket.urgent, onCallNotified }),
      onCancel: () => this.backToStart(),
    }));
  }

  /**
   * Chat is closed or not offered to this customer (`welcome.availability`, availability.js): the ticket form at
   * once, under the reason, before they write a question meant for a chat.
   */
  showUnavailable(reason) {
    const other = reason.code === "product_excludes_chat" && (this.welcome?.availability?.chatProducts?.length ?? 0) > 0;
    this.show("ticket_form",
      el("div", { class: "cw-availability", "data-code": reason.code, role: "note" },
        el("h3", {}, reason.title),
        el("p", {}, reason.text),
        other ? el("button", {
          type: "button", class: "cw-link",
          onclick: () => this.showPrechat({ product: this.welcome.availability.chatProducts[0] }),
        }, "Chat about another product") : null),
      this.buildTicketForm({}, {
        onCreated: (ticket, { onCallNotified }) => this.showTicketDone(ticket.number, { urgent: ticket.urgent, onCallNotified }),
        onCancel: null,
      }));
  }

  /**
   * The new-ticket form (`POST /api/tickets`), for the ticket view, the refusals and My tickets (my-tickets.js).
   * `onCreated(ticket, {onCallNotified})` after the ticket is stored; `onCancel` (or none: no Cancel button).
   */
  buildTicketForm(prefill = {}, { onCreated, onCancel } = {}) {
    const ids = (name) => `${this.id}-t${++this.ticketFormCount}-${name}`;
    const select = this.productSelect(ids("product"), { selected: prefill.product });
    const subject = el("input", { id: ids("subject"), type: "text", required: true, maxlength: 200, value: prefill.subject });
    const category = el("select", { id: ids("category") },
      el("option", { value: "request" }, "Question or request"),
      el("option", { value: "incident" }, "Something is broken"));
    const description = el("textarea", { id: ids("description"), rows: 5, required: true, maxlength: 20000 });
    description.value = prefill.description ?? "";
    const urgent = el("input", { id: ids("urgent"), type: "checkbox", checked: prefill.urgent });
    const error = el("p", { class: "cw-error", role: "alert" });
    const submit = el("button", { type: "submit", class: "cw-primary" }, "Open ticket");
    const form = el("form", {
      class: "cw-form", novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        error.textContent = "";
        if (!subject.value.trim() || !description.value.trim()) {
          error.textContent = "Please fill in a subject and a description.";
          return;
        }
        submit.disabled = true;
        submit.textContent = "Opening…";
        const body = {
          subject: subject.value.trim(), product: select.value, category: urgent.checked ? "incident" : category.value,
          severity: urgent.checked ? 1 : 3, description: description.value.trim(), urgent: urgent.checked,
        };
        let result;
        try {
          result = await api("POST", "/api/tickets", { token: this.token, body });
        } catch {
          result = { status: 0, body: null };
        }
        if (result.status === 201 && result.body?.ticket) {
          onCreated?.(result.body.ticket, { onCallNotified: result.body.onCallNotified === true });
        } else {
          submit.disabled = false;
          submit.textContent = "Open ticket";
          error.textContent = result.body?.error?.message ?? "The ticket could not be opened. Check your connection and try again.";
        }
      },
    },
    el("h3", {}, "Open a support ticket"),
    el("label", { for: select.id }, "Product"), select,
    el("label", { for: subject.id }, "Subject"), subject,
    el("label", { for: category.id }, "Kind of request"), category,
    el("label", { for: description.id }, "Description"), description,
    el("div", { class: "cw-check" }, urgent, el("label", { for: urgent.id }, "Urgent: we cannot take orders or produce a job")),
    error,
    el("div", { class: "cw-actions" }, submit,
      onCancel ? el("button", { type: "button", class: "cw-secondary", onclick: () => onCancel() }, "Cancel") : null));
    return form;
  }

  showTicketDone(number, { urgent = false, onCallNotified = false } = {}) {
    this.show("ticket_done", el("div", { class: "cw-explain cw-success" },
      el("h3", {}, "Ticket opened"),
      el("p", {}, "Your ticket number is ", el("strong", { class: "cw-ticket-number" }, `#${number}`), "."),
      urgent && onCallNotified ? el("p", {}, "It is marked urgent and our on-call staff were alerted: someone will contact you shortly.") : null,
      urgent && !onCallNotified ? el("p", {}, "It is marked urgent and will be handled first.") : null,
      el("p", {}, "We'll reply by email and under My tickets."),
      el("div", { class: "cw-actions" },
        el("button", { type: "button", class: "cw-secondary", "data-autofocus": true, onclick: () => this.backToStart() }, "Done"),
        el("button", {
          type: "button", class: "cw-secondary", onclick: () => {
            this.toggleTickets(true);
            this.myTickets.showTicket(number);
          },
        }, "View in My tickets"))));
  }

  onUrgentTicket(frame) {
    if (this.pendingRequest) {
      this.conn.discard(this.pendingRequest.clientId);
      this.pendingRequest = null;
    }
    this.chatView = null;
    this.showTicketDone(frame.ticketNumber, { urgent: true, onCallNotified: frame.onCallNotified });
    this.root.querySelector(".cw-explain h3").textContent = "Support is closed: urgent ticket opened";
  }

  /** The first view for a customer without an open chat: the pre-chat form, or the ticket form when chat is closed. */
  backToStart() {
    const reason = unavailableReason(this.welcome, this.product, { productName: this.productName(this.product) });
    if (reason) this.showUnavailable(reason);
    else this.showPrechat();
  }

  // ------------------------------------------------------------------ conversation view

  showChat() {
    const ids = (name) => `${this.id}-chat-${name}`;
    const status = el("p", { class: "cw-status-line", role: "status", "aria-live": "polite" });
    const budget = el("p", { class: "cw-budget", hidden: true });
    const wait = el("p", { class: "cw-wait", hidden: true });
    const ticket = el("p", { class: "cw-ticket", role: "status", hidden: true });
    const transcript = el("ol", { class: "cw-transcript", role: "log", "aria-live": "polite", "aria-label": "Conversation", tabindex: "0" });
    const typing = el("p", { class: "cw-typing", "aria-live": "polite" });
    const input = el("textarea", {
      id: ids("input"), class: "cw-input", rows: 2, maxlength: this.maxLength(),
      placeholder: "Write a message…", "aria-describedby": ids("keys"),
    });
    const send = el("button", { type: "submit", class: "cw-primary cw-send" }, "Send");
    const composer = el("form", {
      class: "cw-composer",
      onsubmit: (e) => {
        e.preventDefault();
        this.sendFromComposer();
      },
    },
    el("label", { for: input.id, class: "cw-visually-hidden" }, "Message"),
    input, send,
    el("p", { id: ids("keys"), class: "cw-visually-hidden" }, "Enter sends, Shift+Enter starts a new line."));
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.sendFromComposer();
      }
    });
    input.addEventListener("input", () => this.onComposerInput());
    const closedFooter = el("div", { class: "cw-closed", hidden: true },
      el("p", {}, "This chat has ended."),
      el("button", { type: "button", class: "cw-primary cw-new-chat", onclick: () => this.newChat() }, "Start a new chat"));
    const endChat = el("button", { type: "button", class: "cw-link", onclick: () => this.endChat() }, "End chat");
    this.chatView = { status, wait, budget, ticket, transcript, typing, input, send, composer, closedFooter, endChat, typingTimer: 0 };
    this.chatView.attach = installAttachControls({ composer, input, before: send, context: () =>
      (this.sessionId !== null && this.sessionState !== "closed" ? { sessionId: this.sessionId, token: this.token } : null) });
    this.show("chat",
      el("div", { class: "cw-chat-head" }, status, endChat),
      wait, budget, ticket, transcript, typing, composer, closedFooter);
    if (this.pendingRequest) {
      this.appendItem(this.messageItem({ author: { role: "customer" }, text: this.pendingRequest.text, clientId: this.pendingRequest.clientId }, true));
    }
    for (const frame of this.conn.outbox.values()) {
      if (frame.type === "send" && frame.sessionId === this.sessionId) {
        this.appendItem(this.messageItem({ author: { role: "customer" }, text: frame.text, clientId: frame.clientId }, true));
      }
    }
    this.renderStatus();
    this.renderBudget();
    this.updateComposer();
  }

  renderStatus() {
    const view = this.chatView;
    if (!view) return;
    let text;
    if (this.sessionState === "closed") text = "Chat ended";
    else if (this.sessionState === "active" && this.agentName) text = `Chatting with ${this.agentName}`;
    else if (this.queuePosition) text = this.queuePosition === 1 ? "You are next in the queue" : `You are number ${this.queuePosition} in the queue`;
    else if (this.sessionId === null) text = "Starting your chat…";
    else text = "Waiting for an agent…";
    view.status.textContent = text;
    view.status.dataset.state = this.sessionState ?? "pending";
    const wait = this.sessionState === "queued" || (this.sessionState === null && this.queuePosition)
      ? describeWait(this.expectedWaitSeconds) : null;
    view.wait.hidden = !wait;
    view.wait.textContent = wait ? `Expected wait: ${wait}` : "";
    view.endChat.hidden = this.sessionState === "closed" || this.sessionId === null;
    view.ticket.hidden = !this.ticketNumber;
    if (this.ticketNumber) {
      replaceChildren(view.ticket, "Your chat is now ticket ", el("strong", { class: "cw-ticket-number" }, `#${this.ticketNumber}`),
        ". We'll follow up there; the whole conversation is attached.");
    }
  }

  updateComposer() {
    const view = this.chatView;
    if (!view) return;
    const closed = this.sessionState === "closed";
    view.composer.hidden = closed;
    view.closedFooter.hidden = !closed;
    if (closed) this.renderBudget();
    if (closed && !view.rating && this.sessionId !== null) {
      // CSAT (rating.js): offered once the chat has ended; a reload shows the stored rating instead.
      view.rating = new ChatRating({ token: this.token, sessionId: this.sessionId });
      view.closedFooter.prepend(view.rating.element);
    }
    const canWrite = !closed && this.sessionId !== null && this.conn.state !== "auth_failed";
    view.input.disabled = !canWrite;
    view.send.disabled = !canWrite;
    view.attach?.setEnabled(canWrite);
    if (closed) {
      view.typing.textContent = "";
      const focus = document.activeElement;
      if (this.isOpen && (focus === view.input || focus === document.body)) view.closedFooter.querySelector(".cw-new-chat").focus();
    }
  }

  sendFromComposer() {
    const view = this.chatView;
    const text = view.input.value.trim();
    if (!text || this.sessionId === null || this.sessionState === "closed") return;
    const clientId = this.conn.sendMessage(this.sessionId, text);
    view.input.value = "";
    this.stopTyping();
    this.appendItem(this.messageItem({ author: { role: "customer" }, text, clientId }, true));
    this.scrollTranscript(true);
  }

  onComposerInput() {
    if (this.sessionId === null || this.sessionState === "closed") return;
    const now = Date.now();
    const hasText = this.chatView.input.value.trim().length > 0;
    if (!hasText) {
      this.stopTyping();
      return;
    }
    if (!this.typingActive || now - this.typingSentAt > TYPING_REPEAT_MS) {
      if (this.conn.send("typing", { sessionId: this.sessionId, active: true })) {
        this.typingActive = true;
        this.typingSentAt = now;
      }
    }
    clearTimeout(this.chatView.typingTimer);
    this.chatView.typingTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  stopTyping() {
    clearTimeout(this.chatView?.typingTimer);
    if (!this.typingActive) return;
    this.typingActive = false;
    this.conn.send("typing", { sessionId: this.sessionId, active: false });
  }

  showTheirTyping(active) {
    const view = this.chatView;
    if (!view) return;
    clearTimeout(this.theirTypingTimer);
    view.typing.textContent = active ? `${this.agentName ?? "The agent"} is typing…` : "";
    if (active) this.theirTypingTimer = setTimeout(() => (view.typing.textContent = ""), THEIR_TYPING_TIMEOUT_MS);
  }

  endChat() {
    if (this.sessionId === null) return;
    if (!window.confirm("End this chat?")) return;
    this.conn.send("close", { sessionId: this.sessionId });
  }

  newChat() {
    if (this.sessionId !== null) this.conn.unfollow(this.sessionId);
    this.resetSessionState();
    this.showPrechat();
  }

  // ------------------------------------------------------------------ events

  /** Updates the chat's state from an event (also for replays, before rendering). */
  applyEvent(event) {
    switch (event.kind) {
      case "requested":
        if (!this.sessionState) this.sessionState = "queued";
        break;
      case "joined":
      case "transferred":
        this.sessionState = "active";
        this.agentName = event.agent?.name ?? this.agentName;
        this.queuePosition = null;
        this.showTheirTyping(false);
        break;
      case "requeued":
        this.sessionState = "queued";
        break;
      case "converted":
        this.ticketNumber = event.ticketNumber;
        break;
      case "closed":
        this.sessionState = "closed";
        this.showTheirTyping(false);
        if (this.budget) this.budget.running = false;
        break;
      case "message":
        if (event.author?.role !== "customer") this.showTheirTyping(false);
        break;
      default:
        break;
    }
    if (["offer_accepted", "offer_declined", "converted", "closed", "chat_continued", "wait_declined", "joined"].includes(event.kind)) this.settleOffer(event);
    if (["services_accepted", "services_declined", "closed"].includes(event.kind)) this.settleProposal(event);
    this.renderStatus();
    this.updateComposer();
  }

  renderEventItem(event) {
    // Our own message: replace the "sending…" item by the stored one.
    const pending = event.clientId ? this.findPending(event.clientId) : null;
    if (pending) pending.remove();
    if (this.chatView.transcript.querySelector(`[data-seq="${event.seq}"]`)) return;
    let item;
    switch (event.kind) {
      case "requested":
      case "message":
        item = this.messageItem(event, false);
        break;
      case "attachment":
        item = withAttachment(this.messageItem(event, false), event, this.token, ".cw-msg-text");
        break;
      case "conversion_offered":
        item = this.offerItem(event);
        break;
      case "wait_offered":
        item = this.offerItem(event, "Sorry for the wait", "Yes, open a ticket", "No, I'll keep waiting");
        break;
      case "services_proposed":
        item = this.proposalItem(event);
        break;
      default:
        item = this.noteItem(event);
    }
    const list = this.chatView.transcript;
    const wasNearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
    this.appendItem(item);
    this.renderReceipts();
    // Keep following the conversation unless the customer scrolled up; always bring questions for them into view.
    const card = event.kind === "conversion_offered" || event.kind === "wait_offered" || event.kind === "services_proposed";
    if (card) item.scrollIntoView({ block: "nearest" });
    else this.scrollTranscript(wasNearBottom || event.author?.role === "customer");
  }

  appendItem(item) {
    const list = this.chatView.transcript;
    const firstPending = item.classList.contains("cw-pending") ? null : list.querySelector(".cw-pending");
    list.insertBefore(item, firstPending);
  }

  findPending(clientId) {
    return [...(this.chatView?.transcript.querySelectorAll(".cw-pending") ?? [])].find((node) => node.dataset.clientId === clientId) ?? null;
  }

  messageItem(event, pending) {
    const own = event.author?.role === "customer";
    const who = own ? "You" : (event.author?.name ?? "Support");
    const status = own ? el("span", { class: "cw-msg-status" }, pending ? "sending…" : "sent") : null;
    return el("li", {
      class: `cw-msg ${own ? "cw-own" : "cw-theirs"}${pending ? " cw-pending" : ""}`,
      dataset: {
        ...(event.seq ? { seq: String(event.seq) } : {}),
        ...(event.clientId ? { clientId: event.clientId } : {}),
        role: event.author?.role ?? "customer",
      },
    },
    el("span", { class: "cw-msg-meta" }, who, event.at ? ` · ${formatClock(event.at)}` : ""),
    el("p", { class: "cw-msg-text" }, event.text ?? ""),
    status);
  }

  setItemStatus(item, text) {
    const status = item.querySelector(".cw-msg-status");
    if (status) status.textContent = text;
  }

  renderReceipts() {
    const view = this.chatView;
    if (!view) return;
    for (const item of view.transcript.querySelectorAll(".cw-own[data-seq]")) {
      const read = Number(item.dataset.seq) <= this.agentReadSeq;
      this.setItemStatus(item, read ? "read" : "sent");
      item.classList.toggle("cw-read", read);
    }
  }

  noteText(event) {
    if (event.text) return event.text;
    switch (event.kind) {
      case "joined": return `${event.agent?.name ?? "An agent"} joined the chat.`;
      case "transferred": return `You are now chatting with ${event.agent?.name ?? "another agent"}.`;
      case "requeued": return "The agent was disconnected; you are back at the front of the queue.";
      case "closed": return "The chat has ended.";
      case "budget_warning": return "Only a few minutes of quick-question time are left.";
      case "converted": return `This chat is now ticket #${event.ticketNumber}.`;
      default: return event.kind.replace(/_/g, " ");
    }
  }

  noteItem(event) {
    return el("li", { class: `cw-note cw-note-${event.kind}`, dataset: { seq: String(event.seq), kind: event.kind } },
      el("span", {}, this.noteText(event)));
  }

  /** A question the customer answers with `respond_offer`: the quick-question time is up, or a long wait. */
  offerItem(event, title = "Quick-question time is up", yes = "Yes, open a ticket", no = "No, thanks") {
    const accept = el("button", { type: "button", class: "cw-primary", onclick: () => this.respond("respond_offer", true, card) }, yes);
    const decline = el("button", { type: "button", class: "cw-secondary", onclick: () => this.respond("respond_offer", false, card) }, no);
    const outcome = el("p", { class: "cw-card-outcome", role: "status" });
    const card = el("li", { class: "cw-card cw-offer", dataset: { seq: String(event.seq), kind: event.kind } },
      el("h3", {}, title),
      el("p", {}, event.text || "This needs more time than a quick question. Shall we turn the chat into a ticket? The whole conversation goes with it."),
      el("div", { class: "cw-actions" }, accept, decline),
      outcome);
    this.activeOffer = card;
    return card;
  }

  proposalItem(event) {
    const p = event.proposal ?? {};
    const money = (amount) => (typeof amount === "number" ? `${amount.toFixed(2)} ${p.currency ?? ""}`.trim() : "");
    const accept = el("button", { type: "button", class: "cw-primary", onclick: () => this.respond("respond_services", true, card) }, "Accept proposal");
    const decline = el("button", { type: "button", class: "cw-secondary", onclick: () => this.respond("respond_services", false, card) }, "Decline");
    const card = el("li", { class: "cw-card cw-proposal", dataset: { seq: String(event.seq), kind: event.kind } },
      el("h3", {}, "Professional services proposal"),
      el("p", { class: "cw-proposal-description" }, p.description ?? ""),
      el("dl", {},
        el("dt", {}, "Rate"), el("dd", {}, `${money(p.hourlyRate)} per hour${p.rate ? ` (${p.rate})` : ""}`),
        el("dt", {}, "Estimate"), el("dd", {}, `${p.estimateHours ?? "?"} h, about ${money(p.estimatedAmount)}`),
        el("dt", {}, "Proposed by"), el("dd", {}, p.proposedBy?.name ?? this.agentName ?? "")),
      el("p", { class: "cw-hint" }, "Nothing is billed unless you accept."),
      el("div", { class: "cw-actions" }, accept, decline),
      el("p", { class: "cw-card-outcome", role: "status" }));
    this.activeProposal = card;
    return card;
  }

  respond(type, accept, card) {
    const buttons = card.querySelectorAll(".cw-actions button");
    const outcome = card.querySelector(".cw-card-outcome");
    if (!this.conn.send(type, { sessionId: this.sessionId, accept })) {
      outcome.textContent = "Not connected right now; try again in a moment.";
      return;
    }
    for (const button of buttons) button.disabled = true;
    outcome.textContent = "Sending your answer…";
    this.awaitingAnswer = card;
  }

  settleOffer(event) {
    const card = this.activeOffer;
    if (this.awaitingAnswer === card) this.awaitingAnswer = null;
    if (!card) return;
    this.activeOffer = null;
    card.querySelector(".cw-actions")?.remove();
    const outcome = card.querySelector(".cw-card-outcome");
    outcome.textContent = event.kind === "offer_declined" || event.kind === "chat_continued" ? "You chose to continue the chat."
      : event.kind === "wait_declined" ? "You keep your place in the queue."
      : event.kind === "joined" ? `${event.agent?.name ?? "An agent"} joined: no ticket needed.`
      : event.kind === "closed" ? "The chat ended." : "You accepted: a ticket is being opened.";
  }

  settleProposal(event) {
    const card = this.activeProposal;
    if (this.awaitingAnswer === card) this.awaitingAnswer = null;
    if (!card) return;
    this.activeProposal = null;
    card.querySelector(".cw-actions")?.remove();
    card.querySelector(".cw-card-outcome").textContent = event.kind === "services_accepted" ? "You accepted this proposal."
      : event.kind === "services_declined" ? "You declined this proposal." : "The chat ended before an answer.";
  }

  note(text, kind = "info") {
    if (!this.chatView) return;
    this.appendItem(el("li", { class: `cw-note cw-note-${kind}` }, el("span", {}, text)));
  }

  scrollTranscript(force = false) {
    const list = this.chatView?.transcript;
    if (!list) return;
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
    if (force || nearBottom) list.scrollTop = list.scrollHeight;
  }

  maybeSendRead() {
    if (!this.chatView || this.sessionId === null || !this.isOpen || document.visibilityState !== "visible") return;
    if (this.lastSeq <= this.readSent || this.sessionState === "closed") return;
    if (this.conn.send("read", { sessionId: this.sessionId, seq: this.lastSeq })) this.readSent = this.lastSeq;
  }

  renderBadge() {
    this.badge.hidden = !this.unread;
    this.badge.textContent = this.unread ? String(this.unread) : "";
    this.launcher.setAttribute("aria-label", this.unread ? `Chat with support, ${this.unread} new message${this.unread > 1 ? "s" : ""}` : "Chat with support");
  }

  // ------------------------------------------------------------------ budget

  setBudget(budget) {
    this.budget = {
      limit: budget.limitSeconds, remaining: budget.remainingSeconds, running: budget.running,
      stage: budget.stage, receivedAt: Date.now(),
    };
    this.renderBudget();
  }

  renderBudget() {
    const view = this.chatView;
    const budget = this.budget;
    if (!view) return;
    if (!budget || this.sessionState === "closed" || budget.stage === "not_started") {
      view.budget.hidden = true;
      return;
    }
    const left = budget.running ? budget.remaining - (Date.now() - budget.receivedAt) / 1000 : budget.remaining;
    let text;
    switch (budget.stage) {
      case "offer_pending": text = "Quick-question time is up."; break;
      case "declined":
      case "continued": text = "Continuing beyond the quick-question time."; break;
      case "converting": text = "Opening your ticket…"; break;
      default: text = `Quick-question time left: ${formatDuration(left)}${budget.running ? "" : " (paused)"}`;
    }
    view.budget.hidden = false;
    view.budget.textContent = text;
    view.budget.dataset.stage = budget.stage;
    view.budget.classList.toggle("cw-budget-warning", budget.stage === "warned" || budget.stage === "offer_pending");
  }
}
