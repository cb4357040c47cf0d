// The customer context panel of one chat (issue 12): organization, plan, region with its hours and whether it is
// open now, contacts used of allowed, this contact's earlier chats (opened inline as transcripts) and open tickets.
// Data: `GET /api/transcripts/{id}/context` (PROTOCOL.md §7), loaded once per chat and on demand.
import { api, el, formatClock, formatDateTime, replaceChildren } from "../js/dom.js";

const WEEKDAYS = ["", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

export class ContextPanel {
  /** @param {number} sessionId @param {string} token @param {(context) => void} onLoaded */
  constructor(sessionId, token, onLoaded = () => {}) {
    this.sessionId = sessionId;
    this.token = token;
    this.onLoaded = onLoaded;
    this.context = null;
    this.loading = null;
    this.body = el("div", { class: "context-body" }, el("p", { class: "muted" }, "Loading the customer's context…"));
    this.element = el("details", { class: "context-panel", id: `context-${sessionId}`, open: true },
      el("summary", {}, "Customer context"), this.body);
  }

  /** Loads the context (once; again with force). */
  load(force = false) {
    if (this.loading && !force) return this.loading;
    this.loading = (async () => {
      const { status, body } = await api("GET", `/api/transcripts/${this.sessionId}/context`, { token: this.token });
      if (status !== 200) {
        replaceChildren(this.body, el("p", { class: "muted" }, body?.error?.message ?? "No context available."));
        this.loading = null;
        return null;
      }
      this.context = body;
      this.render();
      this.onLoaded(body);
      return body;
    })();
    return this.loading;
  }

  render() {
    const c = this.context;
    const org = c.organization ?? {};
    const region = c.region;
    const contacts = org.contacts ? `${org.contacts.used} of ${org.contacts.allowed ?? "unlimited"}` : "—";
    const spans = (region?.hours ?? []).map((h) => `${h.open}–${h.close}`);
    const hours = spans.length === 7 && spans.every((x) => x === spans[0]) ? `Every day ${spans[0]}`
      : (region?.hours ?? []).map((h) => `${WEEKDAYS[h.weekday] ?? h.weekday} ${h.open}–${h.close}`).join(", ");
    replaceChildren(this.body,
      el("dl", { class: "context-facts" },
        el("dt", {}, "Organization"), el("dd", { class: "context-org" }, org.name ? `${org.name} (${org.id})` : org.id ?? "—"),
        el("dt", {}, "Plan"), el("dd", { class: "context-plan" }, org.plan ? `${org.plan.name}${org.plan.liveChat === false ? " (no live chat)" : ""}` : "—"),
        el("dt", {}, "Region"), el("dd", { class: "context-region" }, region ? `${region.name} (${region.timeZone})` : "—"),
        el("dt", {}, "Hours"), el("dd", { class: "context-hours" }, hours || "—"),
        el("dt", {}, "Open now"), el("dd", { class: `context-open ${region?.openNow ? "open" : "closed"}` },
          region ? (region.openNow ? "Yes" : `No${region.nextOpening ? ` — opens ${formatDateTime(region.nextOpening)}` : ""}`) : "—"),
        el("dt", {}, "Contacts"), el("dd", { class: "context-contacts" }, contacts)),
      el("h4", {}, "Earlier chats"),
      (c.earlierChats ?? []).length
        ? el("ul", { class: "plain-list context-chats" }, c.earlierChats.map((chat) => this.renderChat(chat)))
        : el("p", { class: "muted" }, "None."),
      el("h4", {}, "Open tickets"),
      (c.openTickets ?? []).length
        ? el("ul", { class: "plain-list context-tickets" }, c.openTickets.map((t) => el("li", { dataset: { number: t.number } },
          `#${t.number} ${t.subject} · ${t.status.replaceAll("_", " ")} · severity ${t.severity}`)))
        : el("p", { class: "muted" }, "None."));
  }

  renderChat(chat) {
    const lines = el("ol", { class: "transcript-lines", hidden: true });
    const link = el("a", {
      href: `#transcript-${chat.id}`, class: "context-chat-link", dataset: { sessionId: chat.id },
      onclick: (e) => { e.preventDefault(); this.toggleTranscript(chat.id, lines, link); },
      "aria-expanded": "false",
    }, `${formatDateTime(chat.createdAt)} — ${chat.subject}`);
    return el("li", {}, link,
      el("span", { class: "muted" }, ` · ${chat.state}${chat.ticketNumber ? ` · ticket #${chat.ticketNumber}` : ""} · ${chat.messageCount} messages`),
      lines);
  }

  async toggleTranscript(id, lines, link) {
    if (!lines.hidden) { lines.hidden = true; link.setAttribute("aria-expanded", "false"); return; }
    const { status, body } = await api("GET", `/api/transcripts/${id}?limit=100`, { token: this.token });
    replaceChildren(lines, status === 200
      ? (body.events ?? []).filter((e) => e.text).map((e) => el("li", {}, `${formatClock(e.at)} ${e.author?.name ?? ""}: ${e.text}`))
      : el("li", { class: "muted" }, body?.error?.message ?? "The transcript is not available."));
    lines.hidden = false;
    link.setAttribute("aria-expanded", "true");
  }
}
