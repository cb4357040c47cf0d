// One chat in the agent console: its tab, its panel (header, budget, offer state, messages, composer, actions)
// and the state derived from session frames, budget frames and events. Every user string goes through el()
// (text nodes), never innerHTML.
import { el, formatClock, formatDuration, replaceChildren } from "../js/dom.js";
import { attachChatExtras, renderNote } from "./chat-extras.js";
import { explainEvent, mayEndHold } from "./explain.js";
import { TransferControl } from "./transfer-control.js";
import { installAttachControls, withAttachment } from "../js/attachments.js";

/**
 * The policy's professional-service rates, from the staff `welcome` frame (`serviceRates`); set by the console
 * before any chat view is built.
 */
let serviceRates = [];

export function setServiceRates(rates) {
  serviceRates = (rates ?? []).map((rate) => ({
    id: rate.id,
    label: `${rate.id} ${rate.currency === "USD" ? "$" : ""}${rate.hourlyRate}${rate.currency === "USD" ? "" : ` ${rate.currency}`}/h`,
    description: rate.name,
  }));
}

const STAGE_TEXT = {
  warned: "Warning: only a few minutes of quick-question time are left.",
  offer_pending: "Time is up: the customer has been offered a ticket (offer pending).",
  declined: "The customer declined the ticket offer. Continue the chat or close it.",
  continued: "Continuing after the quick-question time.",
  converting: "Converting to a ticket…",
};

const TYPING_HIDE_MS = 6000;
const TYPING_IDLE_MS = 2500;

export class ChatView {
  /**
   * @param {number} id
   * @param {object} app the console: me, products, agents, serverNow(), command(type, fields), sendMessage(), ...
   */
  constructor(id, app) {
    this.id = id;
    this.app = app;
    this.summary = null;
    this.events = new Map();
    this.lastSeq = 0;
    this.agentReadSeq = 0;
    this.customerReadSeq = 0;
    this.unread = 0;
    this.budget = null;
    this.stage = "not_started";
    this.pendingProposal = null;
    this.ticketNumber = null;
    this.agent = null;
    this.state = "active";
    /** Set when the server no longer counts this chat as this agent's, without an event saying why. */
    this.released = false;
    this.typingActive = false;
    this.timers = { typingIdle: 0, typingHide: 0 };
    this.build();
  }

  get customerName() {
    return this.summary?.customer?.name || "Customer";
  }

  /** Whether this agent can still act in the chat. */
  get isMine() {
    return !this.released && this.state !== "closed" && this.agent != null && Number(this.agent.id) === Number(this.app.me.id);
  }

  // ---- DOM

  build() {
    const id = this.id;
    this.badge = el("span", { class: "badge", hidden: true, "aria-hidden": "true" });
    this.tabName = el("span", { class: "tab-name" }, `Chat ${id}`);
    this.tabEnded = el("span", { class: "ended" });
    this.tab = el("button", {
      type: "button", role: "tab", class: "tab", id: `tab-${id}`, "aria-controls": `panel-${id}`,
      "aria-selected": "false", tabindex: "-1", dataset: { sessionId: id },
      onclick: () => this.app.activate(id, { focus: true }),
    }, this.tabName, this.tabEnded, this.badge);
    this.tabLabel = el("span", { class: "visually-hidden" });
    this.tab.append(this.tabLabel);

    this.title = el("h2", { id: `chat-title-${id}` }, `Chat ${id}`);
    this.details = el("dl");
    this.clock = el("span", { class: "clock", id: `budget-${id}` });
    this.stageBox = el("span", { class: "stage-warning", role: "status", hidden: true });
    this.offerText = el("span");
    this.offerBox = el("div", { class: "offer-box", hidden: true },
      this.offerText,
      el("button", { type: "button", class: "continue-chat", onclick: () => this.app.command("continue_chat", { sessionId: id }) },
        "Continue chat"),
      el("button", { type: "button", class: "danger close-after-decline", onclick: () => this.close() }, "Close chat"));
    this.ticketBanner = el("p", { class: "ticket-banner", role: "status" });
    // What happened to the chat (transferred away, requeued, taken, closed), in words.
    this.note = el("p", { class: "state-note", id: `state-note-${id}`, role: "status", hidden: true });
    const head = el("header", { class: "chat-head" },
      this.title, this.note, this.details,
      el("div", { class: "budget" }, el("span", {}, "Quick-question time:"), this.clock, this.stageBox),
      this.offerBox, this.ticketBanner);

    this.timeline = el("ol", {
      class: "timeline", role: "log", "aria-live": "polite", "aria-relevant": "additions",
      "aria-labelledby": `chat-title-${id}`, tabindex: "0",
    });
    this.typing = el("div", { class: "typing", "aria-live": "polite" });

    this.input = el("textarea", {
      id: `compose-${id}`, rows: 2, maxlength: 4000, class: "compose",
      "aria-describedby": `compose-hint-${id}`,
      oninput: () => this.noteTyping(), onkeydown: (e) => this.composerKey(e),
    });
    this.sendButton = el("button", { type: "submit", class: "send" }, "Send");
    this.composer = el("form", { class: "composer", onsubmit: (e) => { e.preventDefault(); this.submit(); } },
      el("label", { for: `compose-${id}`, class: "visually-hidden" }, "Message"),
      this.input,
      el("span", { id: `compose-hint-${id}`, class: "visually-hidden" }, "Enter sends, Shift+Enter adds a new line."),
      this.sendButton);
    this.attach = installAttachControls({ composer: this.composer, input: this.input, before: this.sendButton,
      context: () => ({ sessionId: this.id, token: this.app.auth.token }) });

    this.actions = this.buildActions();
    attachChatExtras(this); // note mode, canned replies, context panel (chat-extras.js)
    this.panel = el("section", {
      class: "chat", role: "tabpanel", id: `panel-${id}`, "aria-labelledby": `tab-${id}`, hidden: true,
      dataset: { sessionId: id },
    },
    el("div", { class: "chat-main" }, head, this.timeline, this.typing, this.composer),
    this.actions);
    this.renderHeader();
  }

  buildActions() {
    const id = this.id;
    // Convert to ticket
    this.category = el("select", { id: `category-${id}`, name: "category" },
      el("option", { value: "request" }, "Request"), el("option", { value: "incident" }, "Incident"));
    this.severity = el("select", { id: `severity-${id}`, name: "severity" },
      el("option", { value: "1" }, "1 — most severe"), el("option", { value: "2" }, "2"),
      el("option", { value: "3", selected: true }, "3"), el("option", { value: "4" }, "4 — least severe"));
    this.urgent = el("input", { type: "checkbox", id: `urgent-${id}`, name: "urgent" });
    const convert = el("details", { class: "convert" },
      el("summary", {}, "Convert to ticket"),
      el("form", { onsubmit: (e) => { e.preventDefault(); this.convert(); } },
        el("div", { class: "field" }, el("label", { for: `category-${id}` }, "Category"), this.category),
        el("div", { class: "field" }, el("label", { for: `severity-${id}` }, "Severity"), this.severity),
        el("div", { class: "field-inline" }, this.urgent, el("label", { for: `urgent-${id}` }, "Urgent (cannot order or produce)")),
        el("button", { type: "submit", class: "convert-submit" }, "Convert to ticket")));

    // Professional services
    this.rate = el("select", { id: `rate-${id}`, name: "rate" },
      serviceRates.map((r) => el("option", { value: r.id, title: r.description }, r.label)));
    this.hours = el("input", { type: "number", id: `hours-${id}`, name: "estimateHours", min: "0.25", step: "0.25", value: "1", required: true });
    this.description = el("textarea", { id: `description-${id}`, name: "description", rows: 3, maxlength: 2000, required: true });
    this.servicesError = el("p", { class: "error-text", role: "alert" });
    const services = el("details", { class: "services" },
      el("summary", {}, "Propose professional services"),
      el("form", { onsubmit: (e) => { e.preventDefault(); this.proposeServices(); } },
        el("div", { class: "field" }, el("label", { for: `rate-${id}` }, "Rate"), this.rate),
        el("div", { class: "field" }, el("label", { for: `hours-${id}` }, "Estimated hours"), this.hours),
        el("div", { class: "field" }, el("label", { for: `description-${id}` }, "Description of the work"), this.description),
        this.servicesError,
        el("button", { type: "submit", class: "services-submit" }, "Propose")));

    // Transfer (enables its own controls: only with a target that qualifies)
    this.transferControl = new TransferControl(id, (toAgent) => this.app.command("transfer", { sessionId: id, toAgent }));
    const transfer = this.transferControl.element;

    this.closeButton = el("button", { type: "button", class: "danger close-chat", onclick: () => this.close() }, "Close chat");
    this.dismissButton = el("button", {
      type: "button", class: "secondary dismiss", hidden: true, onclick: () => this.app.dismiss(this.id),
    }, "Remove from view");
    this.actionParts = [convert, services];
    return el("aside", { class: "actions", "aria-label": "Chat actions" },
      convert, services, transfer, el("div", { class: "close-row" }, this.closeButton, this.dismissButton));
  }

  renderHeader() {
    const s = this.summary;
    const name = this.customerName;
    this.tabName.textContent = name;
    this.title.textContent = s ? `${name} — ${s.subject}` : `Chat ${this.id}`;
    if (s) {
      const org = s.organizationId;
      const product = this.app.productName(s.product);
      replaceChildren(this.details,
        el("dt", {}, "Customer"), el("dd", { class: "customer" }, name, s.customer?.email ? ` (${s.customer.email})` : ""),
        el("dt", {}, "Organization"), el("dd", { class: "organization" },
          this.context?.context?.organization?.name ? `${this.context.context.organization.name} (${org})` : org),
        el("dt", {}, "Product"), el("dd", { class: "product" }, product),
        el("dt", {}, "Subject"), el("dd", { class: "subject" }, s.subject));
    }
    this.input.setAttribute("aria-label", `Message to ${name}`);
    this.renderState();
  }

  renderState() {
    const ended = this.state === "closed";
    const mine = this.isMine;
    let endedText = "";
    if (ended) endedText = this.ticketNumber ? `ticket #${this.ticketNumber}` : "closed";
    else if (this.released) endedText = "no longer yours";
    else if (!mine && this.agent) endedText = `with ${this.agent.name}`;
    else if (!mine) endedText = "queued";
    this.tabEnded.textContent = endedText ? `(${endedText})` : "";
    this.ticketBanner.textContent = this.ticketNumber ? `Converted to ticket #${this.ticketNumber}` : "";
    this.input.disabled = !mine;
    this.sendButton.disabled = !mine;
    this.closeButton.disabled = !mine;
    for (const part of this.actionParts) {
      for (const control of part.querySelectorAll("button, select, input, textarea")) control.disabled = !mine;
    }
    this.dismissButton.hidden = mine;
    const stageText = mine ? STAGE_TEXT[this.stage] : "";
    this.stageBox.hidden = !stageText || this.stage === "declined";
    this.stageBox.textContent = this.stage === "declined" ? "" : stageText ?? "";
    this.offerBox.hidden = !(mine && this.stage === "declined");
    this.offerText.textContent = STAGE_TEXT.declined;
    this.panel.dataset.stage = this.stage;
    this.panel.dataset.state = this.state;
    this.renderClock();
    this.renderTransferTargets();
  }

  renderClock() {
    const b = this.budget;
    if (!b) { this.clock.textContent = "—"; return; }
    let remaining = b.remainingSeconds;
    if (b.running) remaining -= (this.app.serverNow() - Date.parse(b.asOf)) / 1000;
    const text = formatDuration(remaining);
    if (b.stage === "not_started") this.clock.textContent = `${text} (starts when an agent joins)`;
    else if (!b.running && remaining > 0 && this.state !== "closed") this.clock.textContent = `${text} left (paused)`;
    else this.clock.textContent = `${text} left`;
  }

  renderTransferTargets() {
    this.transferControl.render({ agents: this.app.agents, meId: this.app.me.id, cap: this.app.agentSessionCap,
      enabled: this.isMine });
  }

  /** Shows what happened to the chat in words ("" hides the sentence). */
  setNote(text) {
    this.note.textContent = text;
    this.note.hidden = !text;
  }

  /** A later change of hands in a chat that is no longer this agent's: only the sentence, not the event. */
  noteHolder(event) {
    if (event.kind === "converted") this.ticketNumber = event.ticketNumber;
    if (!mayEndHold(event.kind)) return;
    const text = explainEvent(event, { meId: this.app.me.id, wasMine: false, customerName: this.customerName,
      ticketNumber: this.ticketNumber });
    if (text) this.setNote(text);
  }

  /** The server no longer counts the chat as this agent's and no event said why (see the console's reconnect). */
  markReleased(text) {
    this.released = true;
    this.setNote(text);
    this.renderState();
  }

  renderUnread() {
    this.badge.hidden = this.unread === 0;
    this.badge.textContent = String(this.unread);
    this.tabLabel.textContent = this.unread ? `, ${this.unread} unread` : "";
    this.tab.dataset.unread = String(this.unread);
  }

  setActive(active) {
    this.tab.setAttribute("aria-selected", active ? "true" : "false");
    this.tab.tabIndex = active ? 0 : -1;
    this.panel.hidden = !active;
  }

  // ---- state from the server

  applySummary(summary) {
    this.summary = summary;
    this.state = summary.state;
    this.agent = summary.agent;
    this.ticketNumber = summary.ticketNumber ?? this.ticketNumber;
    this.agentReadSeq = Math.max(this.agentReadSeq, summary.agentReadSeq ?? 0);
    this.setCustomerRead(summary.customerReadSeq ?? 0);
    if (summary.budget) this.applyBudget(summary.budget, false);
    this.pendingProposal = summary.pendingProposal;
    this.renderHeader();
    this.context?.load();
  }

  applyBudget(budget, render = true) {
    this.budget = budget;
    this.stage = budget.stage;
    if (render) this.renderState();
  }

  /** Adds one event (each seq arrives once, in order). Returns true when it is a new customer message. */
  addEvent(event) {
    if (this.events.has(event.seq)) return false;
    this.events.set(event.seq, event);
    this.lastSeq = Math.max(this.lastSeq, event.seq);
    const wasMine = this.isMine;
    switch (event.kind) {
      case "joined":
      case "transferred":
        this.agent = event.agent;
        this.state = "active";
        this.released = false;
        break;
      case "requeued":
        this.agent = null;
        this.state = "queued";
        break;
      case "closed":
        this.state = "closed";
        this.stopTyping();
        break;
      case "converted":
        this.ticketNumber = event.ticketNumber;
        break;
      case "conversion_offered":
        this.stage = "offer_pending";
        break;
      case "offer_declined":
        this.stage = "declined";
        break;
      case "chat_continued":
        this.stage = "continued";
        break;
      case "services_proposed":
        this.pendingProposal = event.proposal;
        break;
      case "services_accepted":
      case "services_declined":
        this.pendingProposal = null;
        break;
      default:
        break;
    }
    if (event.clientId) this.timeline.querySelector(`[data-client-id="${CSS.escape(event.clientId)}"]`)?.remove();
    this.timeline.append(this.renderEvent(event));
    this.timeline.scrollTop = this.timeline.scrollHeight;
    if (mayEndHold(event.kind)) {
      const text = explainEvent(event, { meId: this.app.me.id, wasMine, customerName: this.customerName,
        ticketNumber: this.ticketNumber });
      if (text != null) this.setNote(text);
      // No longer this agent's: stop following it (a reload or reconnect would only be refused).
      if (!this.isMine) this.app.chatReleased(this.id);
    }
    this.renderState();
    const fromCustomer = (event.kind === "message" || event.kind === "requested") && event.author?.role === "customer";
    if (fromCustomer) this.setTyping(false);
    return fromCustomer && event.seq > this.agentReadSeq;
  }

  renderEvent(event) {
    const author = event.author ?? {};
    const when = formatClock(event.at);
    if (event.kind === "note") return renderNote(this, event);
    if (event.kind === "message" || event.kind === "requested" || event.kind === "attachment") {
      const own = author.role !== "customer" && Number(author.id) === Number(this.app.me.id);
      const who = own ? "You" : author.name || author.role;
      const item = el("li", { class: `msg msg-${author.role}`, dataset: { seq: event.seq } },
        el("div", { class: "meta" }, `${who} · ${when}`, event.kind === "requested" ? " · opened the chat" : ""),
        el("p", { class: "text" }, event.text ?? ""));
      if (event.kind === "attachment") withAttachment(item, event, this.app.auth.token, ".text");
      if (author.role !== "customer") {
        item.append(el("div", { class: "receipt" }, event.seq <= this.customerReadSeq ? "Read" : ""));
      }
      return item;
    }
    if (event.kind.startsWith("services_") && event.proposal) {
      const p = event.proposal;
      const status = { services_proposed: "Proposed, waiting for the customer", services_accepted: "Accepted by the customer",
        services_declined: "Declined by the customer" }[event.kind];
      return el("li", { class: "proposal", dataset: { seq: event.seq, kind: event.kind } },
        el("div", { class: "meta" }, `${status} · ${when}`),
        el("p", { class: "text" }, p.description),
        el("div", {}, `${p.rate}: ${p.currency ?? "USD"} ${p.hourlyRate}/h × ${p.estimateHours} h ≈ ${p.currency ?? "USD"} ${p.estimatedAmount}`));
    }
    const important = ["converted", "budget_warning", "conversion_offered", "offer_declined", "closed", "transferred"]
      .includes(event.kind);
    let text = event.text || event.kind.replaceAll("_", " ");
    if (event.kind === "converted" && event.ticketNumber) text = `${text} (ticket #${event.ticketNumber})`;
    return el("li", { class: `sys${important ? " important" : ""}`, dataset: { seq: event.seq, kind: event.kind } },
      `${when} · ${text}`);
  }

  renderPending(frame, failed = false) {
    let item = this.timeline.querySelector(`[data-client-id="${CSS.escape(frame.clientId)}"]`);
    if (!item) {
      item = el("li", { class: `msg msg-agent pending${frame.type === "note" ? " note" : ""}`, dataset: { clientId: frame.clientId } },
        el("div", { class: "meta" }, frame.type === "note" ? "Internal note · You · sending…" : "You · sending…"),
        el("p", { class: "text" }, frame.text));
      this.timeline.append(item);
      this.timeline.scrollTop = this.timeline.scrollHeight;
    }
    if (failed) {
      item.classList.add("failed");
      item.querySelector(".meta").textContent = `You · not sent: ${failed}`;
    }
  }

  setCustomerRead(seq) {
    if (seq <= this.customerReadSeq) return;
    this.customerReadSeq = seq;
    for (const item of this.timeline.querySelectorAll(".msg[data-seq] .receipt")) {
      const itemSeq = Number(item.parentElement.dataset.seq);
      if (itemSeq <= seq) item.textContent = "Read";
    }
  }

  setTyping(active) {
    clearTimeout(this.timers.typingHide);
    this.typing.textContent = active ? `${this.customerName} is typing…` : "";
    if (active) this.timers.typingHide = setTimeout(() => { this.typing.textContent = ""; }, TYPING_HIDE_MS);
  }

  // ---- agent actions

  composerKey(e) {
    if (this.suggest?.handleKey(e)) return;
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.submit();
    }
  }

  submit() {
    const text = this.input.value.trim();
    if (!text || !this.isMine) return;
    if (this.noteMode) {
      this.app.sendNote(this.id, text);
      this.input.value = "";
      return;
    }
    this.stopTyping();
    this.app.sendMessage(this.id, text);
    this.input.value = "";
  }

  noteTyping() {
    if (!this.isMine || this.noteMode) return;
    if (!this.typingActive && this.input.value) {
      this.typingActive = true;
      this.app.command("typing", { sessionId: this.id, active: true }, { quiet: true });
    }
    clearTimeout(this.timers.typingIdle);
    this.timers.typingIdle = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  stopTyping() {
    clearTimeout(this.timers.typingIdle);
    if (!this.typingActive) return;
    this.typingActive = false;
    this.app.command("typing", { sessionId: this.id, active: false }, { quiet: true });
  }

  convert() {
    this.app.command("convert", {
      sessionId: this.id, category: this.category.value, severity: Number(this.severity.value), urgent: this.urgent.checked,
    });
  }

  proposeServices() {
    const hours = Number(this.hours.value);
    const description = this.description.value.trim();
    this.servicesError.textContent = "";
    if (!(hours > 0)) { this.servicesError.textContent = "Enter the estimated hours (more than 0)."; return; }
    if (!description) { this.servicesError.textContent = "Describe the work."; return; }
    if (this.app.command("propose_services", { sessionId: this.id, rate: this.rate.value, description, estimateHours: hours })) {
      this.description.value = "";
    }
  }

  close() {
    this.app.command("close", { sessionId: this.id });
  }

  destroy() {
    clearTimeout(this.timers.typingIdle);
    clearTimeout(this.timers.typingHide);
    this.tab.remove();
    this.panel.remove();
  }
}
