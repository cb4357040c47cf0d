// The console's Tickets view (issue 12): a filtered list with first-response countdowns, and one open ticket with
// its history, the linked chat transcript, reply, internal note, status workflow and assignment. Live: the
// console hands every `ticket` frame to ticketChanged(). HTTP API: docs/PROTOCOL.md §7 "Tickets".
// Every user string goes through el() (text nodes), never innerHTML.
import { api, el, formatClock, formatDateTime, formatDuration, replaceChildren } from "../js/dom.js";

const STATUSES = [
  ["new", "New"], ["open", "Open"], ["awaiting_reply", "Awaiting your reply"], ["on_hold", "On-Hold"], ["closed", "Closed"],
];
const STATUS_NAME = Object.fromEntries(STATUSES);
/** "Due soon": the first response is due within this many hours. */
const DUE_SOON_HOURS = 4;
const TRANSCRIPT_EVENTS = 200;

export class TicketsView {
  /** @param {object} app the console: auth.token, me, serverNow(), notify(text) */
  constructor(app) {
    this.app = app;
    this.token = app.auth.token;
    this.tickets = [];
    this.openNumber = null;
    this.staff = [];
    this.reloadTimer = 0;
    this.build();
  }

  // ---- DOM

  build() {
    const option = (value, text) => el("option", { value }, text);
    this.statusFilter = el("select", { id: "ticket-filter-status", onchange: () => this.load() },
      option("", "Any status"), option("active", "Not closed"), STATUSES.map(([v, t]) => option(v, t)));
    this.statusFilter.value = "active";
    this.severityFilter = el("select", { id: "ticket-filter-severity", onchange: () => this.load() },
      option("", "Any severity"), [1, 2, 3, 4].map((n) => option(String(n), `Severity ${n}`)));
    this.orgFilter = el("input", { id: "ticket-filter-org", type: "search", placeholder: "organization id", size: 12,
      onchange: () => this.load() });
    this.assigneeFilter = el("select", { id: "ticket-filter-assignee", onchange: () => this.load() },
      option("", "Anyone"), option("me", "Assigned to me"), option("none", "Unassigned"));
    this.dueFilter = el("select", { id: "ticket-filter-due", onchange: () => this.load() },
      option("", "Any due time"), option("soon", `Due soon (${DUE_SOON_HOURS} h)`), option("overdue", "Overdue"));
    const field = (id, label, control) => el("span", { class: "field-inline flush" }, el("label", { for: id }, label), control);
    this.filters = el("form", { class: "ticket-filters", "aria-label": "Ticket filters",
      onsubmit: (e) => { e.preventDefault(); this.load(); } },
    field("ticket-filter-status", "Status", this.statusFilter),
    field("ticket-filter-severity", "Severity", this.severityFilter),
    field("ticket-filter-org", "Organization", this.orgFilter),
    field("ticket-filter-assignee", "Assignee", this.assigneeFilter),
    field("ticket-filter-due", "First response", this.dueFilter),
    el("button", { type: "submit", class: "secondary", id: "ticket-refresh" }, "Refresh"));

    this.count = el("p", { class: "muted", id: "ticket-count", role: "status" });
    this.list = el("ul", { class: "ticket-list", id: "ticket-list", "aria-label": "Tickets" });
    this.detail = el("section", { class: "ticket-detail", id: "ticket-detail", "aria-live": "polite", tabindex: "-1" },
      el("p", { class: "muted" }, "Choose a ticket to see its history."));
    this.element = el("section", { class: "tickets-view", id: "tickets-view", hidden: true, "aria-labelledby": "tickets-title" },
      el("h2", { id: "tickets-title", class: "visually-hidden" }, "Tickets"),
      this.filters,
      el("div", { class: "tickets-split" },
        el("div", { class: "ticket-column" }, this.count, this.list),
        this.detail));
  }

  /** The view became visible: load the staff list once, then the tickets. */
  async show() {
    if (!this.staff.length) await this.loadStaff();
    await this.load();
  }

  async loadStaff() {
    const { status, body } = await api("GET", "/api/staff", { token: this.token });
    if (status !== 200) return;
    this.staff = body.staff ?? [];
    const keep = this.assigneeFilter.value;
    for (const option of [...this.assigneeFilter.options].slice(3)) option.remove();
    for (const member of this.staff) this.assigneeFilter.append(el("option", { value: String(member.id) }, member.name));
    this.assigneeFilter.value = keep;
  }

  query() {
    const params = new URLSearchParams();
    const status = this.statusFilter.value;
    if (status && status !== "active") params.set("status", status);
    if (this.severityFilter.value) params.set("severity", this.severityFilter.value);
    const org = this.orgFilter.value.trim();
    if (org) params.set("organization", org);
    const assignee = this.assigneeFilter.value;
    if (assignee === "me") params.set("assignee", String(this.app.me.id));
    else if (assignee) params.set("assignee", assignee);
    const now = this.app.serverNow();
    if (this.dueFilter.value === "overdue") params.set("due", new Date(now).toISOString());
    if (this.dueFilter.value === "soon") params.set("due", new Date(now + DUE_SOON_HOURS * 3600_000).toISOString());
    params.set("limit", "200");
    return params;
  }

  async load() {
    const { status, body } = await api("GET", `/api/tickets?${this.query()}`, { token: this.token });
    if (status !== 200) {
      this.count.textContent = body?.error?.message ?? `Could not load tickets (${status}).`;
      return;
    }
    let tickets = body.tickets ?? [];
    if (this.statusFilter.value === "active") tickets = tickets.filter((t) => t.status !== "closed");
    this.tickets = tickets;
    this.renderList();
  }

  renderList() {
    const focusedNumber = document.activeElement?.closest?.(".ticket-row")?.dataset.number;
    this.count.textContent = `${this.tickets.length} ticket${this.tickets.length === 1 ? "" : "s"}`;
    replaceChildren(this.list, this.tickets.length ? this.tickets.map((t) => this.renderRow(t))
      : el("li", { class: "muted" }, "No tickets match."));
    if (focusedNumber) this.list.querySelector(`.ticket-row[data-number="${focusedNumber}"] button`)?.focus();
  }

  renderRow(t) {
    return el("li", { class: `ticket-row sev-${t.severity}`, dataset: { number: t.number, status: t.status },
      "aria-current": String(t.number) === String(this.openNumber) ? "true" : null },
    el("button", { type: "button", class: "ticket-open", onclick: () => this.open(t.number) },
      el("span", { class: "ticket-number" }, `#${t.number}`), " ", el("span", { class: "ticket-subject" }, t.subject)),
    el("div", { class: "muted" },
      `${t.organizationId} · ${t.customer?.name ?? ""} · severity ${t.severity}${t.urgent ? " · urgent" : ""} · `,
      el("span", { class: "ticket-status" }, STATUS_NAME[t.status] ?? t.status),
      t.assignee ? ` · ${t.assignee.name}` : " · unassigned"),
    el("div", { class: "due", dataset: this.dueData(t) }, this.dueText(t)));
  }

  dueData(t) {
    return { due: t.firstResponseDue, responded: t.firstRespondedAt ?? "", status: t.status };
  }

  /** The first-response countdown: "due in 1:02:03", "overdue by 4:05", or how it went. */
  dueText(t) {
    const responded = t.firstRespondedAt ?? t.responded;
    if (responded) return t.firstResponseMet === false ? "First response: late" : "First response: answered";
    if (t.status === "closed") return "Closed without a response";
    const seconds = (Date.parse(t.firstResponseDue ?? t.due) - this.app.serverNow()) / 1000;
    return seconds >= 0 ? `First response due in ${formatDuration(seconds)}` : `First response overdue by ${formatDuration(-seconds)}`;
  }

  /** Every second (the console's ticker): the countdowns. */
  tick() {
    if (this.element.hidden) return;
    for (const node of this.element.querySelectorAll(".due[data-due]")) {
      const overdue = !node.dataset.responded && node.dataset.status !== "closed" && Date.parse(node.dataset.due) < this.app.serverNow();
      node.textContent = this.dueText({ due: node.dataset.due, responded: node.dataset.responded, status: node.dataset.status });
      node.classList.toggle("overdue", overdue);
    }
  }

  // ---- one ticket

  async open(number) {
    this.openNumber = number;
    for (const row of this.list.querySelectorAll(".ticket-row")) {
      row.setAttribute("aria-current", String(row.dataset.number === String(number)));
    }
    const { status, body } = await api("GET", `/api/tickets/${number}`, { token: this.token });
    if (this.openNumber !== number) return;
    if (status !== 200) {
      replaceChildren(this.detail, el("p", { class: "error-text" }, body?.error?.message ?? `Could not open ticket ${number}.`));
      return;
    }
    this.renderDetail(body.ticket, body.history ?? []);
    if (body.ticket.sessionId) this.loadTranscript(body.ticket.sessionId);
  }

  renderDetail(t, history) {
    const n = t.number;
    // A live update re-renders the open ticket: keep what the agent was typing.
    const same = this.renderedNumber === n;
    const drafts = same
      ? { reply: this.replyBox?.value ?? "", note: this.noteBox?.value ?? "", error: this.errorLine?.textContent ?? "",
        status: this.statusSelect?.value, assign: this.assignSelect?.value }
      : { reply: "", note: "", error: "" };
    this.renderedNumber = n;
    this.errorLine = el("p", { class: "error-text", id: "ticket-error", role: "alert" });
    this.replyBox = el("textarea", { id: "ticket-reply-text", rows: 3, maxlength: 20000 });
    this.noteBox = el("textarea", { id: "ticket-note-text", rows: 2, maxlength: 20000 });
    this.statusSelect = el("select", { id: "ticket-status-select" },
      STATUSES.filter(([v]) => v !== t.status).map(([v, text]) => el("option", { value: v }, text)));
    this.assignSelect = el("select", { id: "ticket-assign-select" },
      this.staff.map((m) => el("option", { value: String(m.id) }, `${m.name} (${m.role})`)));
    this.transcript = el("div", { class: "ticket-transcript", id: "ticket-transcript" });
    const closed = t.status === "closed";
    replaceChildren(this.detail,
      el("h3", { id: "ticket-title" }, `#${n} ${t.subject}`),
      el("dl", { class: "ticket-facts" },
        el("dt", {}, "Status"), el("dd", { id: "ticket-status" }, STATUS_NAME[t.status] ?? t.status),
        el("dt", {}, "Customer"), el("dd", {}, `${t.customer?.name ?? ""} <${t.customer?.email ?? ""}> · ${t.organizationId}`),
        el("dt", {}, "Product"), el("dd", {}, `${this.app.productName(t.product)} · ${t.category} · severity ${t.severity}${t.urgent ? " · urgent" : ""}`),
        el("dt", {}, "Assignee"), el("dd", { id: "ticket-assignee" }, t.assignee ? t.assignee.name : "nobody"),
        el("dt", {}, "Opened"), el("dd", {}, formatDateTime(t.createdAt)),
        el("dt", {}, "First response"), el("dd", { class: "due", dataset: this.dueData(t) }, this.dueText(t))),
      el("p", { class: "ticket-description" }, t.description),
      el("div", { class: "ticket-actions" },
        el("button", { type: "button", id: "ticket-assign-me", class: "secondary",
          onclick: () => this.assign(n, this.app.me.id) }, "Assign to me"),
        el("span", { class: "field-inline flush" }, el("label", { for: "ticket-assign-select" }, "Assign to"), this.assignSelect,
          el("button", { type: "button", id: "ticket-assign", class: "secondary",
            onclick: () => this.assign(n, Number(this.assignSelect.value)) }, "Assign")),
        t.assignee ? el("button", { type: "button", id: "ticket-unassign", class: "secondary", onclick: () => this.assign(n, null) }, "Unassign") : null,
        el("span", { class: "field-inline flush" }, el("label", { for: "ticket-status-select" }, "Move to"), this.statusSelect,
          el("button", { type: "button", id: "ticket-status-change", disabled: closed,
            onclick: () => this.changeStatus(n, this.statusSelect.value) }, "Change status"))),
      this.errorLine,
      el("h4", {}, "History"),
      el("ol", { class: "ticket-history", id: "ticket-history" }, history.map((entry) => this.renderEntry(entry))),
      el("form", { class: "ticket-reply", onsubmit: (e) => { e.preventDefault(); this.reply(n); } },
        el("label", { for: "ticket-reply-text" }, "Reply to the customer"), this.replyBox,
        el("button", { type: "submit", id: "ticket-reply-send", disabled: closed }, "Send reply")),
      el("form", { class: "ticket-note", onsubmit: (e) => { e.preventDefault(); this.note(n); } },
        el("label", { for: "ticket-note-text" }, "Internal note (staff only)"), this.noteBox,
        el("button", { type: "submit", id: "ticket-note-add", class: "secondary" }, "Add note")),
      t.sessionId ? el("h4", {}, `Chat ${t.sessionId} (converted from)`) : null,
      t.sessionId ? this.transcript : null);
    this.replyBox.value = drafts.reply;
    this.noteBox.value = drafts.note;
    this.errorLine.textContent = drafts.error;
    if (drafts.status && drafts.status !== t.status) this.statusSelect.value = drafts.status;
    if (drafts.assign) this.assignSelect.value = drafts.assign;
  }

  renderEntry(entry) {
    const who = entry.actor?.name || entry.actor?.role || "";
    let text = entry.text ?? "";
    if (entry.kind === "status_changed") text = `${STATUS_NAME[entry.fromStatus] ?? entry.fromStatus} → ${STATUS_NAME[entry.toStatus] ?? entry.toStatus}`;
    if (entry.kind === "created") text = text || "Opened the ticket.";
    const label = { note: "Internal note", reply: "Reply", assigned: "Assignment", status_changed: "Status",
      created: "Created" }[entry.kind] ?? entry.kind.replaceAll("_", " ");
    return el("li", { class: `entry entry-${entry.kind} entry-${entry.actor?.role ?? ""}`, dataset: { kind: entry.kind, seq: entry.seq } },
      el("div", { class: "meta" }, `${label} · ${who} · ${formatDateTime(entry.at)}`),
      el("p", { class: "text" }, text));
  }

  async loadTranscript(sessionId) {
    const { status, body } = await api("GET", `/api/transcripts/${sessionId}?limit=${TRANSCRIPT_EVENTS}`, { token: this.token });
    if (status !== 200) {
      replaceChildren(this.transcript, el("p", { class: "muted" }, body?.error?.message ?? "The chat transcript is not available."));
      return;
    }
    const lines = (body.events ?? []).filter((e) => e.text).map((e) => el("li", { class: `msg-${e.author?.role ?? "system"} kind-${e.kind}` },
      el("span", { class: "meta" }, `${formatClock(e.at)} ${e.author?.name ?? ""}${e.kind === "note" ? " (note)" : ""}: `), e.text));
    replaceChildren(this.transcript, el("ol", { class: "transcript-lines" }, lines),
      body.nextAfterSeq ? el("p", { class: "muted" }, `Showing the first ${TRANSCRIPT_EVENTS} events.`) : null);
  }

  // ---- actions

  async post(number, path, body, okText) {
    this.errorLine.textContent = "";
    const { status, body: answer } = await api("POST", `/api/tickets/${number}/${path}`, { token: this.token, body });
    if (status !== 200) {
      // The server's own sentence (an illegal transition, a closed ticket...).
      this.errorLine.textContent = answer?.error?.message ?? `Refused (${status}).`;
      return false;
    }
    this.app.notify(okText);
    await this.open(number);
    this.load();
    return true;
  }

  async reply(number) {
    const text = this.replyBox.value.trim();
    if (!text) return;
    if (await this.post(number, "replies", { text }, `Reply sent on ticket #${number}.`)) this.replyBox.value = "";
  }

  async note(number) {
    const text = this.noteBox.value.trim();
    if (!text) return;
    if (await this.post(number, "notes", { text }, `Note added to ticket #${number}.`)) this.noteBox.value = "";
  }

  changeStatus(number, status) {
    return this.post(number, "status", { status }, `Ticket #${number}: ${STATUS_NAME[status] ?? status}.`);
  }

  assign(number, staffId) {
    return this.post(number, "assignee", { staffId }, staffId == null ? `Ticket #${number} unassigned.` : `Ticket #${number} assigned.`);
  }

  // ---- live

  /** A `ticket` frame: refresh the list (debounced) and the open ticket if it is that one. */
  ticketChanged(frame) {
    const number = frame.ticket?.number;
    if (this.element.hidden) return;
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => this.load(), 150);
    if (number != null && number === this.openNumber) this.open(number);
  }
}
