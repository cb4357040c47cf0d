// The supervisor view: a live board of queued and active chats and agent loads (from the `session`, `queue` and
// `agents` frames a supervisor receives), and the transcript archive (GET /api/transcripts with filters).
import { ChatConnection } from "../js/chat-connection.js";
import { api, el, formatDateTime, formatDuration, replaceChildren } from "../js/dom.js";
import { clearAuth, loadAuth, logout, renderLogin, STAFF_AUTH_KEY } from "../console/staff-auth.js";

const AUTH_KEY = STAFF_AUTH_KEY; // the same login as the agent console
const CONNECTION_KEY = "chatd.supervisor.connection";

const app = document.getElementById("app");

function showLogin(notice = "") {
  renderLogin(app, {
    title: "Supervisor view", storageKey: AUTH_KEY, roles: ["supervisor"], notice,
    onLoggedIn: (auth) => new SupervisorView(auth).mount(),
  });
}

/** What became of a chat, in words. */
function outcome(session) {
  if (session.ticketNumber) return `Converted to ticket #${session.ticketNumber}`;
  if (session.state === "closed") return "Closed";
  return session.state === "queued" ? "Queued" : "Open";
}

class SupervisorView {
  constructor(auth) {
    this.auth = auth;
    this.sessions = new Map();
    this.queue = [];
    /** Chats closed since the last queue frame (the queue frame is throttled; session frames are not). */
    this.closedSinceQueue = new Set();
    this.agents = [];
    this.organizations = new Set();
    this.skewMs = 0;
  }

  mount() {
    this.banner = el("div", { class: "banner", id: "connection-banner", role: "status", hidden: true });
    this.queuedBody = el("tbody", { id: "queued-rows" });
    this.activeBody = el("tbody", { id: "active-rows" });
    this.agentsBody = el("tbody", { id: "agent-rows" });
    this.orgList = el("datalist", { id: "org-options" });
    this.filterOrg = el("input", { id: "filter-organization", name: "organization", list: "org-options", autocomplete: "off" });
    this.filterAgent = el("select", { id: "filter-agent", name: "agent" }, el("option", { value: "" }, "Any agent"));
    this.filterFrom = el("input", { id: "filter-from", name: "from", type: "date" });
    this.filterTo = el("input", { id: "filter-to", name: "to", type: "date" });
    this.filterOutcome = el("select", { id: "filter-outcome", name: "outcome" },
      el("option", { value: "" }, "Any outcome"), el("option", { value: "open" }, "Open"),
      el("option", { value: "closed" }, "Closed in the chat"), el("option", { value: "converted" }, "Converted to a ticket"));
    this.resultsStatus = el("p", { id: "transcripts-status", role: "status", class: "muted" });
    this.resultsBody = el("tbody", { id: "transcript-rows" });
    this.reader = el("section", { class: "card reader", id: "reader", "aria-labelledby": "reader-title", tabindex: "-1", hidden: true });

    const table = (caption, headers, body, id) => el("div", { class: "table-wrap" },
      el("table", { id }, el("caption", { class: "visually-hidden" }, caption),
        el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))), body));

    replaceChildren(app,
      el("header", { class: "topbar" },
        el("h1", {}, "Supervisor view"),
        el("span", { class: "who" }, `Signed in as ${this.auth.staff.name} (${this.auth.staff.username})`),
        el("a", { href: "../console/" }, "Agent console"),
        el("button", { type: "button", class: "secondary", id: "logout", onclick: () => this.logout() }, "Log out")),
      this.banner,
      el("main", { id: "main", tabindex: "-1" },
        el("div", { class: "board", id: "board" },
          el("section", { class: "card", "aria-labelledby": "queued-title" },
            el("h2", { id: "queued-title" }, "Queued chats"),
            table("Queued chats", ["Chat", "Organization", "Customer", "Subject", "Waiting"], this.queuedBody, "queued-table")),
          el("section", { class: "card", "aria-labelledby": "active-title" },
            el("h2", { id: "active-title" }, "Active chats"),
            table("Active chats", ["Chat", "Agent", "Organization", "Customer", "Quick-question time"], this.activeBody, "active-table")),
          el("section", { class: "card", "aria-labelledby": "agents-title" },
            el("h2", { id: "agents-title" }, "Agents"),
            table("Agent loads", ["Agent", "Status", "Connected", "Active chats"], this.agentsBody, "agents-table"))),
        el("section", { class: "card", "aria-labelledby": "transcripts-title" },
          el("h2", { id: "transcripts-title" }, "Transcripts"),
          el("form", { class: "filters", id: "transcript-filters", onsubmit: (e) => { e.preventDefault(); this.search(); } },
            el("div", { class: "field" }, el("label", { for: "filter-organization" }, "Organization"), this.filterOrg, this.orgList),
            el("div", { class: "field" }, el("label", { for: "filter-agent" }, "Agent"), this.filterAgent),
            el("div", { class: "field" }, el("label", { for: "filter-from" }, "From (date)"), this.filterFrom),
            el("div", { class: "field" }, el("label", { for: "filter-to" }, "To (date, inclusive)"), this.filterTo),
            el("div", { class: "field" }, el("label", { for: "filter-outcome" }, "Outcome"), this.filterOutcome),
            el("button", { type: "submit", id: "search-transcripts" }, "Search")),
          this.resultsStatus,
          table("Transcripts found", ["Chat", "Started", "Organization", "Customer", "Agent", "Subject", "Outcome", "Messages", ""],
            this.resultsBody, "transcripts-table")),
        this.reader));

    this.connection = new ChatConnection({ token: this.auth.token, storageKey: CONNECTION_KEY });
    this.connection.addEventListener("state", (e) => this.connectionState(e.detail.state));
    this.connection.addEventListener("welcome", (e) => {
      this.skewMs = Date.parse(e.detail.frame.serverTime) - Date.now() || 0;
    });
    this.connection.addEventListener("frame", (e) => this.frame(e.detail.frame));
    this.connection.start();
    this.ticker = setInterval(() => this.renderBoard(), 1000);
    this.renderBoard();
    this.search();
  }

  async logout() {
    clearInterval(this.ticker);
    this.connection.stop();
    this.connection.forget();
    await logout(AUTH_KEY, this.auth.token);
    showLogin("You are logged out.");
  }

  connectionState(state) {
    if (state === "open") {
      this.banner.hidden = true;
    } else if (state === "reconnecting" || state === "connecting") {
      this.banner.hidden = false;
      this.banner.textContent = state === "reconnecting" ? "Connection lost — reconnecting… the board may be out of date." : "Connecting…";
    } else if (state === "auth_failed") {
      clearInterval(this.ticker);
      this.connection.stop();
      this.connection.forget();
      clearAuth(AUTH_KEY, this.auth.token);
      showLogin("Your session has ended. Please log in again.");
    }
  }

  frame(frame) {
    switch (frame.type) {
      case "session": {
        const s = frame.session;
        this.noteOrganization(s.organizationId);
        if (s.state === "closed") {
          this.sessions.delete(s.id);
          this.closedSinceQueue.add(s.id);
        } else {
          this.sessions.set(s.id, { ...s, receivedAt: Date.now() });
        }
        this.renderBoard();
        break;
      }
      case "queue":
        this.queue = frame.entries ?? [];
        this.closedSinceQueue.clear();
        for (const entry of this.queue) this.noteOrganization(entry.organizationId);
        this.renderBoard();
        break;
      case "agents":
        this.agents = frame.agents ?? [];
        this.renderAgentFilter();
        this.renderBoard();
        break;
      case "budget": {
        const s = this.sessions.get(frame.sessionId);
        if (s) s.budget = frame;
        break;
      }
      default:
        break;
    }
  }

  noteOrganization(id) {
    if (!id || this.organizations.has(id)) return;
    this.organizations.add(id);
    replaceChildren(this.orgList, [...this.organizations].sort().map((o) => el("option", { value: o })));
  }

  serverNow() {
    return Date.now() + this.skewMs;
  }

  remaining(budget) {
    if (!budget) return null;
    let seconds = budget.remainingSeconds;
    if (budget.running) seconds -= (this.serverNow() - Date.parse(budget.asOf)) / 1000;
    return Math.max(0, seconds);
  }

  renderBoard() {
    // Queued: the queue frame is the order; session frames fill in the customer details. The server sends queue
    // frames at most every 0.25 s but session frames at once: a chat a newer session frame shows as taken or
    // closed has left the queue already (else it would be listed as queued and active at the same time).
    const leftQueue = (id) => this.closedSinceQueue.has(id) || (this.sessions.get(id)?.state ?? "queued") !== "queued";
    const queued = this.queue.length
      ? this.queue.filter((q) => !leftQueue(q.sessionId))
        .map((q) => ({ ...this.sessions.get(q.sessionId), ...q, id: q.sessionId }))
      : [...this.sessions.values()].filter((s) => s.state === "queued")
        .map((s) => ({ ...s, customerName: s.customer?.name, sessionId: s.id }));
    // A customer who waited past the policy's maxQueueMinutes was offered a ticket: the row is flagged.
    const longWait = (q) => q.longWait === true || q.waitOffer === "offered" || q.waitOffer === "declined";
    replaceChildren(this.queuedBody, queued.length ? queued.map((q) => el("tr", {
      dataset: { sessionId: q.id, longWait: longWait(q) ? "true" : "false" }, class: longWait(q) ? "long-wait" : "" },
      el("td", {}, String(q.id)),
      el("td", {}, q.organizationId),
      el("td", {}, q.customerName ?? q.customer?.name ?? ""),
      el("td", {}, q.subject),
      el("td", { class: "num wait" }, formatDuration((this.serverNow() - Date.parse(q.queuedAt)) / 1000),
        longWait(q) ? el("span", { class: "alert-badge", title: "Waited past the limit: offered a ticket" }, " long wait") : "")))
      : el("tr", {}, el("td", { colspan: 5, class: "muted" }, "No one is waiting.")));

    const active = [...this.sessions.values()].filter((s) => s.state === "active").sort((a, b) => a.id - b.id);
    replaceChildren(this.activeBody, active.length ? active.map((s) => {
      const remaining = this.remaining(s.budget);
      const limit = s.budget?.limitSeconds ?? 0;
      const budgetText = remaining == null ? "—"
        : `${formatDuration(limit - remaining)} used, ${formatDuration(remaining)} left${s.budget.stage && !["running", "not_started"].includes(s.budget.stage) ? ` (${s.budget.stage.replaceAll("_", " ")})` : ""}`;
      return el("tr", { dataset: { sessionId: s.id } },
        el("td", {}, String(s.id)),
        el("td", { class: "agent" }, s.agent?.name ?? "—"),
        el("td", {}, s.organizationId),
        el("td", {}, s.customer?.name ?? "", el("br"), el("span", { class: "muted" }, s.subject)),
        el("td", { class: "num" }, budgetText));
    }) : el("tr", {}, el("td", { colspan: 5, class: "muted" }, "No active chats.")));

    replaceChildren(this.agentsBody, this.agents.length ? this.agents.map((a) => el("tr", { dataset: { agentId: a.id } },
      el("td", {}, a.name),
      el("td", { class: `status-${a.status}` }, a.status),
      el("td", {}, a.connected ? "Yes" : "No"),
      el("td", { class: "num" }, String(a.activeSessions.length))))
      : el("tr", {}, el("td", { colspan: 4, class: "muted" }, "No agents.")));
  }

  renderAgentFilter() {
    const current = this.filterAgent.value;
    replaceChildren(this.filterAgent, el("option", { value: "" }, "Any agent"),
      this.agents.map((a) => el("option", { value: String(a.id) }, a.name)));
    this.filterAgent.value = current;
  }

  // ---- transcripts

  query() {
    const params = new URLSearchParams();
    if (this.filterOrg.value.trim()) params.set("organization", this.filterOrg.value.trim());
    if (this.filterAgent.value) params.set("agent", this.filterAgent.value);
    if (this.filterFrom.value) params.set("from", this.filterFrom.value);
    if (this.filterTo.value) {
      // The API's `to` is exclusive; the form's date is inclusive.
      const next = new Date(`${this.filterTo.value}T00:00:00Z`);
      next.setUTCDate(next.getUTCDate() + 1);
      params.set("to", next.toISOString().slice(0, 10));
    }
    if (this.filterOutcome.value) params.set("outcome", this.filterOutcome.value);
    return params.toString();
  }

  async search() {
    this.resultsStatus.textContent = "Searching…";
    const query = this.query();
    let response;
    try {
      response = await api("GET", `/api/transcripts${query ? `?${query}` : ""}`, { token: this.auth.token });
    } catch {
      this.resultsStatus.textContent = "The server cannot be reached.";
      return;
    }
    if (response.status !== 200) {
      this.resultsStatus.textContent = response.body?.error?.message ?? `Search failed (${response.status}).`;
      return;
    }
    const rows = response.body.transcripts ?? [];
    for (const t of rows) this.noteOrganization(t.organizationId);
    this.resultsStatus.textContent = `${rows.length} transcript${rows.length === 1 ? "" : "s"} found.`;
    replaceChildren(this.resultsBody, rows.map((t) => el("tr", { dataset: { sessionId: t.id } },
      el("td", {}, String(t.id)),
      el("td", {}, formatDateTime(t.createdAt)),
      el("td", {}, t.organizationId),
      el("td", {}, t.customer?.name ?? ""),
      el("td", {}, t.agent?.name ?? "—"),
      el("td", {}, t.subject),
      el("td", { class: "outcome" }, outcome(t)),
      el("td", { class: "num" }, String(t.messageCount ?? "")),
      el("td", {}, el("button", {
        type: "button", class: "secondary read-transcript", "aria-label": `Read transcript of chat ${t.id}`,
        onclick: () => this.read(t.id),
      }, "Read")))));
  }

  async read(id) {
    const { status, body } = await api("GET", `/api/transcripts/${encodeURIComponent(id)}`, { token: this.auth.token });
    this.reader.hidden = false;
    if (status !== 200) {
      replaceChildren(this.reader, el("h2", { id: "reader-title" }, `Chat ${id}`),
        el("p", { class: "error-text" }, body?.error?.message ?? `Could not load the transcript (${status}).`));
      this.reader.focus();
      return;
    }
    const s = body.session;
    replaceChildren(this.reader,
      el("h2", { id: "reader-title" }, `Transcript of chat ${s.id}: ${s.subject}`),
      el("dl", { class: "chat-head" },
        el("dt", {}, "Customer"), el("dd", {}, `${s.customer?.name ?? ""} (${s.customer?.email ?? ""})`),
        el("dt", {}, "Organization"), el("dd", {}, s.organizationId),
        el("dt", {}, "Product"), el("dd", {}, s.product),
        el("dt", {}, "Agent"), el("dd", {}, s.agent?.name ?? "—"),
        el("dt", {}, "Started"), el("dd", {}, formatDateTime(s.createdAt)),
        el("dt", {}, "Ended"), el("dd", {}, s.closedAt ? formatDateTime(s.closedAt) : "still open"),
        el("dt", {}, "Outcome"), el("dd", { class: "outcome" }, outcome(s))),
      el("ol", { id: "reader-events", "aria-label": "Events" }, (body.events ?? []).map((e) => this.renderEvent(e))));
    this.reader.focus();
  }

  renderEvent(e) {
    const author = e.author ?? {};
    const system = e.kind !== "message" && e.kind !== "requested";
    const extra = [];
    if (e.ticketNumber) extra.push(el("div", { class: "ticket" }, `Ticket #${e.ticketNumber}`));
    if (e.agent && (e.kind === "joined" || e.kind === "transferred")) extra.push(el("div", {}, `Agent: ${e.agent.name}`));
    if (e.reason) extra.push(el("div", { class: "muted" }, `Reason: ${e.reason}`));
    if (e.proposal) {
      const p = e.proposal;
      extra.push(el("div", {}, `${p.description} — ${p.rate} ${p.currency} ${p.hourlyRate}/h × ${p.estimateHours} h ≈ ${p.currency} ${p.estimatedAmount}`));
    }
    return el("li", { class: system ? "system" : "message", dataset: { seq: e.seq, kind: e.kind } },
      el("div", { class: "kind" }, `#${e.seq} · ${e.kind.replaceAll("_", " ")} · ${formatDateTime(e.at)} · ${author.name ?? author.role ?? ""} (${author.role ?? ""})`),
      e.text ? el("p", { class: "text" }, e.text) : null,
      extra);
  }
}

const stored = loadAuth(AUTH_KEY);
if (stored && stored.role === "supervisor") new SupervisorView(stored).mount();
else if (stored) showLogin(`You are signed in as ${stored.staff?.name ?? "an agent"} (${stored.role}); this page needs a supervisor account.`);
else showLogin();
