// One transcript: a header with names (organization, product, agents), outcome, duration, wait, ticket, CSAT
// (the customer's rating, when there is one) and service orders; the events a page at a time (GET /api/transcripts/{id}
// ?afterSeq=, more as one scrolls); exports as text, JSON and a print page. Opens at its top, or at a search hit:
// the pages up to that event are loaded and it is scrolled into view, marked.
import { attachmentBody } from "../js/attachments.js";
import { api, el, formatDateTime, replaceChildren } from "../js/dom.js";
import { download, formatBytes } from "./downloads.js";

const PAGE = 200;

/** 3725 -> "1 h 02 min", 250 -> "4 min 10 s", 12 -> "12 s". */
export function formatSpan(seconds) {
  if (seconds === null || seconds === undefined) return null;
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, "0")} min`;
  if (m > 0) return `${m} min ${s} s`;
  return `${s} s`;
}

export class TranscriptReader {
  constructor(token) {
    this.token = token;
    this.section = el("section", { class: "card reader", id: "reader", "aria-labelledby": "reader-title", tabindex: "-1", hidden: true });
    this.sessionId = null;
    this.nextAfterSeq = null;
    this.loading = false;
  }

  /** Opens chat `id` at its top, or (atSeq > 0) at that event. */
  async open(id, atSeq = 0) {
    this.sessionId = id;
    this.nextAfterSeq = null;
    this.loading = false;
    const generation = this.generation = (this.generation ?? 0) + 1;
    const current = () => this.generation === generation;
    const { status, body } = await api("GET", `/api/transcripts/${encodeURIComponent(id)}?limit=${PAGE}`, { token: this.token });
    if (!current()) return;
    this.section.hidden = false;
    if (status !== 200) {
      replaceChildren(this.section, el("h2", { id: "reader-title" }, `Chat ${id}`),
        el("p", { class: "error-text" }, body?.error?.message ?? `Could not load the transcript (${status}).`));
      this.focusTop();
      return;
    }
    const s = body.session;
    const summary = body.summary ?? {};
    this.events = el("ol", { id: "reader-events", "aria-label": "Events" });
    this.more = el("button", { type: "button", class: "secondary", id: "reader-more", hidden: true,
      onclick: () => this.loadMore() }, "Load more of this chat");
    this.exportStatus = el("p", { id: "reader-export-status", role: "status", class: "muted" });
    const sentinel = el("div", { class: "sentinel", "aria-hidden": "true" });
    replaceChildren(this.section,
      el("h2", { id: "reader-title" }, `Transcript of chat ${s.id}: ${s.subject}`),
      el("div", { class: "reader-actions" },
        el("button", { type: "button", class: "secondary", id: "export-text", onclick: () => this.export("text") }, "Export text"),
        el("button", { type: "button", class: "secondary", id: "export-json", onclick: () => this.export("json") }, "Export JSON"),
        el("a", { class: "button secondary", id: "export-print", href: `print.html?id=${encodeURIComponent(s.id)}`, target: "_blank",
          rel: "noopener" }, "Print view")),
      this.exportStatus,
      this.header(s, summary, body.serviceOrders ?? [], body.csat ?? summary.csat ?? null),
      el("h3", {}, "Conversation"),
      this.events, this.more, sentinel);
    this.append(body);
    this.observer?.disconnect();  // the previous transcript's
    this.observer = null;
    if (atSeq > 0 && await this.showEvent(current, atSeq)) {
      if (current()) this.watch(sentinel);
      return;
    }
    if (!current()) return;
    this.watch(sentinel);
    this.focusTop();
  }

  /** More events as the end of the chat scrolls into view (the button does the same for keyboards). */
  watch(sentinel) {
    this.observer?.disconnect();
    if (!("IntersectionObserver" in window)) return;
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && this.nextAfterSeq !== null && !this.loading) this.loadMore();
    }, { rootMargin: "300px" });
    this.observer.observe(sentinel);
  }

  /** Loads pages until event `seq` is there, then scrolls it into view, marked and focused. False if it is not found. */
  async showEvent(current, seq) {
    const lastShown = () => Number(this.events.lastElementChild?.dataset.seq ?? 0);
    while (current() && lastShown() < seq && this.nextAfterSeq !== null) {
      if (!await this.loadMore()) break;
    }
    if (!current()) return true;
    const item = this.events.querySelector(`li[data-seq="${CSS.escape(String(seq))}"]`);
    if (!item) return false;
    item.classList.add("hit");
    item.setAttribute("tabindex", "-1");
    item.setAttribute("aria-label", `Search hit, event ${seq}`);
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "center" });
    return true;
  }

  /** Focus without jumping to the bottom of a long chat: the reader opens at its top. */
  focusTop() {
    this.section.focus({ preventScroll: true });
    this.section.scrollIntoView({ block: "start" });
  }

  header(s, summary, orders, csat) {
    const agents = (summary.agents ?? []).map((a) => a.name).join(", ") || s.agent?.name || "none";
    const rows = [
      ["Customer", `${s.customer?.name ?? ""} (${s.customer?.email ?? ""})`, "customer"],
      ["Organization", s.organizationName ?? s.organizationId, "organization"],
      ["Product", s.productName ?? s.product, "product"],
      ["Agents", agents, "agents"],
      ["Started", formatDateTime(s.createdAt), "started"],
      ["Ended", s.closedAt ? formatDateTime(s.closedAt) : "still open", "ended"],
      ["Outcome", summary.outcomeText ?? s.state, "outcome"],
      ["Duration", formatSpan(summary.durationSeconds) ?? "still open", "duration"],
      ["Wait", formatSpan(summary.waitSeconds) ?? "no agent joined", "wait"],
    ];
    const list = el("dl", { class: "chat-head", id: "reader-head" },
      rows.map(([label, value, key]) => [el("dt", {}, label), el("dd", { dataset: { field: key } }, value)]));
    if (s.ticketNumber) {
      const ticket = el("dd", { dataset: { field: "ticket" } }, `#${s.ticketNumber}`);
      list.append(el("dt", {}, "Ticket"), ticket);
      this.describeTicket(s.ticketNumber, ticket);
    }
    // The customer's rating (POST /api/transcripts/{id}/rating), once there is one.
    if (csat) {
      list.append(el("dt", {}, "Satisfaction"),
        el("dd", { dataset: { field: "csat", rating: csat.rating } },
          el("span", { class: "stars", "aria-hidden": "true" }, "★".repeat(csat.rating) + "☆".repeat(Math.max(0, 5 - csat.rating))),
          ` ${csat.rating} / 5`,
          csat.comment ? ` — “${csat.comment}”` : "",
          csat.ratedAt ? el("span", { class: "muted" }, ` (rated ${formatDateTime(csat.ratedAt)})`) : ""));
    }
    if (!orders.length) return list;
    return el("div", {}, list, el("h3", {}, "Service orders"),
      el("ol", { id: "reader-orders", class: "orders" }, orders.map((o) => el("li", {},
        `${o.description} — ${o.rate}, ${o.currency} ${Number(o.hourlyRate).toFixed(2)}/h`,
        o.estimateHours !== null ? `, about ${o.estimateHours} h` : "",
        `; proposed by ${o.proposedByName ?? `staff ${o.proposedBy}`}, accepted ${formatDateTime(o.acceptedAt)}`))));
  }

  /** The ticket's subject, status and severity next to its number (GET /api/tickets/{n}). */
  async describeTicket(number, node) {
    const { status, body } = await api("GET", `/api/tickets/${number}`, { token: this.token });
    if (status !== 200) return;
    const t = body.ticket;
    node.textContent = `#${number} — ${t.subject} (${t.status.replaceAll("_", " ")}, severity ${t.severity})`;
  }

  append(body) {
    this.events.append(...(body.events ?? []).map((e) => this.renderEvent(e)));
    this.nextAfterSeq = body.nextAfterSeq ?? null;
    this.more.hidden = this.nextAfterSeq === null;
  }

  /** The next page of events; true when one was added. */
  async loadMore() {
    if (this.nextAfterSeq === null || this.loading) return false;
    const id = this.sessionId;
    this.loading = true;
    let response;
    try {
      response = await api("GET",
        `/api/transcripts/${encodeURIComponent(id)}?afterSeq=${this.nextAfterSeq}&limit=${PAGE}`, { token: this.token });
    } catch {
      response = { status: 0, body: null };
    }
    this.loading = false;
    if (this.sessionId !== id) return false;
    if (response.status !== 200) {
      this.exportStatus.textContent = response.body?.error?.message ?? "The rest of this chat could not be loaded.";
      return false;
    }
    this.append(response.body);
    return true;
  }

  renderEvent(e) {
    const author = e.author ?? {};
    const message = e.kind === "message" || e.kind === "requested";
    const extra = [];
    if (e.ticketNumber) extra.push(el("div", { class: "ticket" }, `Ticket #${e.ticketNumber}`));
    if (e.agent && (e.kind === "joined" || e.kind === "transferred") && !(e.text ?? "").includes(e.agent.name)) {
      extra.push(el("div", {}, `Agent: ${e.agent.name}`));
    }
    if (e.reason && !message) extra.push(el("div", { class: "muted" }, `Reason: ${e.reason}`));
    // Services events carry their whole proposal in the sentence: no second copy of it.
    if (e.proposal && !e.text) {
      const p = e.proposal;
      extra.push(el("div", {}, `${p.description} — ${p.rate} ${p.currency} ${p.hourlyRate}/h × ${p.estimateHours} h`));
    }
    if (e.attachment) extra.push(attachmentBody(e, this.token));
    const who = author.role === "system" ? "System" : `${author.name ?? ""} (${author.role ?? ""})`;
    return el("li", { class: message ? "message" : "system", dataset: { seq: e.seq, kind: e.kind } },
      el("div", { class: "kind" }, `#${e.seq} · ${e.kind.replaceAll("_", " ")} · ${formatDateTime(e.at)} · ${who}`),
      e.text ? el("p", { class: "text" }, e.text) : null,
      extra);
  }

  async export(format) {
    const id = this.sessionId;
    const name = `chat-${id}.${format === "text" ? "txt" : format}`;
    this.exportStatus.textContent = "Exporting…";
    const result = await download(`/api/transcripts/${encodeURIComponent(id)}/export?format=${format}`, this.token, name);
    this.exportStatus.textContent = result.ok ? `Exported ${name} (${formatBytes(result.bytes)}).` : result.message;
    if (result.ok) this.exportStatus.dataset.exported = name;
  }
}
