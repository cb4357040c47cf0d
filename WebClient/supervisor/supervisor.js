// The supervisor view: a live board of queued and active chats and agent loads (from the `session`, `queue` and
// `agents` frames a supervisor receives) with its alerts (board-alerts.js) and the live view of one chat opened from
// it (live-view.js: whisper, barge in, take over, assign), the transcript archive with full-text search and the
// reader (transcript-list.js, transcript-reader.js), the Analytics tab (analytics-view.js) and the Audit tab
// (audit-view.js).
import { ChatConnection } from "../js/chat-connection.js";
import { el, formatDuration, replaceChildren } from "../js/dom.js";
import { clearAuth, loadAuth, logout, renderLogin, STAFF_AUTH_KEY } from "../console/staff-auth.js";
import { AnalyticsView } from "./analytics-view.js";
import { AuditView } from "./audit-view.js";
import { BoardAlerts } from "./board-alerts.js";
import { LiveView } from "./live-view.js";
import { OrganizationNames } from "./organization-names.js";
import { TranscriptList } from "./transcript-list.js";
import { TranscriptReader } from "./transcript-reader.js";

const AUTH_KEY = STAFF_AUTH_KEY; // the same login as the agent console
const CONNECTION_KEY = "chatd.supervisor.connection";

const app = document.getElementById("app");

function showLogin(notice = "") {
  renderLogin(app, {
    title: "Supervisor view", storageKey: AUTH_KEY, roles: ["supervisor"], notice,
    onLoggedIn: (auth) => new SupervisorView(auth).mount(),
  });
}

class SupervisorView {
  constructor(auth) {
    this.auth = auth;
    this.sessions = new Map();
    this.queue = [];
    /** Chats closed since the last queue frame (the queue frame is throttled; session frames are not). */
    this.closedSinceQueue = new Set();
    this.agents = [];
    this.skewMs = 0;
    /** limits.agentSessionCap of welcome: the most chats one agent holds. */
    this.cap = 3;
    /** sessionId -> its Watch button on the board */
    this.watchButtons = new Map();
    this.shownButtons = new Set();
    this.names = new OrganizationNames(auth.token, () => this.renderBoard());
    this.reader = new TranscriptReader(auth.token);
    this.transcripts = new TranscriptList(auth.token, (id, seq) => this.reader.open(id, seq),
      (rows) => { for (const t of rows) this.names.learn(t.organizationId, t.organizationName); }, this.names);
    this.audit = new AuditView(auth.token, auth.staff);
    this.analytics = new AnalyticsView(auth.token);
    this.live = new LiveView(this);
    this.alerts = new BoardAlerts(this);
  }

  mount() {
    this.banner = el("div", { class: "banner", id: "connection-banner", role: "status", hidden: true });
    this.queuedBody = el("tbody", { id: "queued-rows" });
    this.activeBody = el("tbody", { id: "active-rows" });
    this.agentsBody = el("tbody", { id: "agent-rows" });
    const table = (caption, headers, body, id) => el("div", { class: "table-wrap" },
      el("table", { id }, el("caption", { class: "visually-hidden" }, caption),
        el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))), body));

    this.auditPanel = el("div", { id: "audit-panel", role: "tabpanel", "aria-labelledby": "tab-audit", hidden: true },
      this.audit.render(table));
    this.analyticsPanel = el("div", { id: "analytics-panel", role: "tabpanel", "aria-labelledby": "tab-analytics", hidden: true },
      this.analytics.render());
    const tab = (name, id, controls, label) => el("button", { type: "button", role: "tab", id, "aria-controls": controls,
      "aria-selected": String(name === "main"), tabindex: name === "main" ? null : "-1", onclick: () => this.showTab(name) }, label);
    this.tabs = {
      main: tab("main", "tab-main", "main", "Board and transcripts"),
      analytics: tab("analytics", "tab-analytics", "analytics-panel", "Analytics"),
      audit: tab("audit", "tab-audit", "audit-panel", "Audit"),
    };

    replaceChildren(app,
      el("header", { class: "topbar" },
        el("h1", {}, "Supervisor view"),
        el("span", { class: "who" }, `Signed in as ${this.auth.staff.name} (${this.auth.staff.username})`),
        el("a", { href: "../console/" }, "Agent console"),
        el("button", { type: "button", class: "secondary", id: "logout", onclick: () => this.logout() }, "Log out")),
      this.banner,
      el("nav", { class: "tabs", role: "tablist", "aria-label": "Supervisor sections", onkeydown: (e) => this.tabKey(e) },
        this.tabs.main, this.tabs.analytics, this.tabs.audit),
      this.main = el("main", { id: "main", tabindex: "-1", role: "tabpanel", "aria-labelledby": "tab-main" },
        this.board = el("div", { class: "board", id: "board", tabindex: "-1" },
          this.alerts.renderSection(),
          el("section", { class: "card", "aria-labelledby": "queued-title" },
            el("h2", { id: "queued-title" }, "Queued chats"),
            table("Queued chats", ["Chat", "Organization", "Customer", "Subject", "Waiting", "Live"], this.queuedBody, "queued-table")),
          el("section", { class: "card", "aria-labelledby": "active-title" },
            el("h2", { id: "active-title" }, "Active chats"),
            table("Active chats", ["Chat", "Agent", "Organization", "Customer", "Quick-question time", "Live"], this.activeBody, "active-table")),
          el("section", { class: "card", "aria-labelledby": "agents-title" },
            el("h2", { id: "agents-title" }, "Agents"),
            table("Agent loads", ["Agent", "Status", "Connected", "Active chats"], this.agentsBody, "agents-table"))),
        this.live.section,
        this.transcripts.render(table),
        this.reader.section),
      this.analyticsPanel,
      this.auditPanel);


    this.connection = new ChatConnection({ token: this.auth.token, storageKey: CONNECTION_KEY });
    this.connection.addEventListener("state", (e) => this.connectionState(e.detail.state));
    this.connection.addEventListener("welcome", (e) => {
      const frame = e.detail.frame;
      this.skewMs = Date.parse(frame.serverTime) - Date.now() || 0;
      this.cap = frame.limits?.agentSessionCap ?? this.cap;
      // Only the chat open in the live view is followed (a reload or reconnect does not resume old ones).
      for (const id of [...this.connection.followed]) if (id !== this.live.sessionId) this.connection.unfollow(id);
    });
    this.connection.addEventListener("event", (e) => this.live.event(e.detail.event));
    this.connection.addEventListener("ack", (e) => this.live.ack(e.detail.clientId));
    this.connection.addEventListener("frame", (e) => this.frame(e.detail.frame));
    this.connection.start();
    this.ticker = setInterval(() => this.renderBoard(), 1000);
    this.renderBoard();
    this.alerts.start();
    this.transcripts.search();
  }

  /** Opens a chat of the board in the live view. */
  watch(id) {
    if (this.main.hidden) this.showTab("main");
    this.live.open(id);
    this.renderBoard();
  }

  /** Back to the board after the live view of `id` closed: to that chat's Watch button while it is listed. */
  focusBoard(id) {
    this.renderBoard();
    const button = this.watchButtons.get(id);
    if (button?.isConnected) button.focus();
    else this.board.focus();
  }

  /** Arrow keys (and Home/End) move between the tabs (the WAI-ARIA tabs pattern); the selected tab is the one in the Tab order. */
  tabKey(event) {
    const names = Object.keys(this.tabs);
    const current = names.findIndex((name) => this.tabs[name].getAttribute("aria-selected") === "true");
    const moves = { ArrowLeft: current - 1, ArrowRight: current + 1, Home: 0, End: names.length - 1 };
    if (!(event.key in moves)) return;
    const next = names[(moves[event.key] + names.length) % names.length];
    this.showTab(next);
    this.tabs[next].focus();
    event.preventDefault();
  }

  showTab(name) {
    for (const [key, tab] of Object.entries(this.tabs)) {
      tab.setAttribute("aria-selected", String(key === name));
      tab.tabIndex = key === name ? 0 : -1;
    }
    this.main.hidden = name !== "main";
    this.analyticsPanel.hidden = name !== "analytics";
    this.auditPanel.hidden = name !== "audit";
    if (name === "audit") this.audit.load(true);
    if (name === "analytics" && !this.analytics.loaded) this.analytics.load();
  }

  async logout() {
    clearInterval(this.ticker);
    this.alerts.stop();
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
      this.alerts.stop();
      this.connection.stop();
      this.connection.forget();
      clearAuth(AUTH_KEY, this.auth.token);
      showLogin("Your session has ended. Please log in again.");
    }
  }

  frame(frame) {
    this.live.frame(frame);
    switch (frame.type) {
      case "session": {
        const s = frame.session;
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
        this.renderBoard();
        break;
      case "agents":
        this.agents = frame.agents ?? [];
        this.transcripts.setAgents(this.agents);
        this.audit.setAgents(this.agents);
        this.analytics.setAgents(this.agents);
        this.live.renderAgents();
        this.renderBoard();
        break;
      case "ticket":
        this.alerts.ticketChanged();
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

  serverNow() {
    return Date.now() + this.skewMs;
  }

  remaining(budget) {
    if (!budget) return null;
    let seconds = budget.remainingSeconds;
    if (budget.running) seconds -= (this.serverNow() - Date.parse(budget.asOf)) / 1000;
    return Math.max(0, seconds);
  }

  /** The queued chats, in queue order. */
  queuedRows() {
    // The queue frame is the order; session frames fill in the customer details. The server sends queue
    // frames at most every 0.25 s but session frames at once: a chat a newer session frame shows as taken or
    // closed has left the queue already (else it would be listed as queued and active at the same time).
    const leftQueue = (id) => this.closedSinceQueue.has(id) || (this.sessions.get(id)?.state ?? "queued") !== "queued";
    return this.queue.length
      ? this.queue.filter((q) => !leftQueue(q.sessionId))
        .map((q) => ({ ...this.sessions.get(q.sessionId), ...q, id: q.sessionId }))
      : [...this.sessions.values()].filter((s) => s.state === "queued")
        .map((s) => ({ ...s, customerName: s.customer?.name, sessionId: s.id }));
  }

  /**
   * The Watch button of a chat: one node per chat, kept across the board's redraws (a click whose mouse-down and
   * mouse-up straddle a redraw still lands, and focus is given back to the same node).
   */
  watchButton(id) {
    let button = this.watchButtons.get(id);
    if (!button) {
      button = el("button", { type: "button", class: "secondary small watch-chat", dataset: { focusKey: `watch-${id}` },
        "aria-label": `Watch chat ${id} live`, onclick: () => this.watch(id) });
      this.watchButtons.set(id, button);
    }
    const watching = this.live.sessionId === id;
    button.setAttribute("aria-pressed", String(watching));
    button.textContent = watching ? "Watching" : "Watch";
    this.shownButtons.add(id);
    return button;
  }

  renderBoard() {
    // The rows are redrawn every second: a focused button is focused again in its new row (focus is never lost).
    const focused = this.board?.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
    this.shownButtons = new Set();
    const queued = this.queuedRows();
    this.names.want([...queued.map((q) => q.organizationId), ...[...this.sessions.values()].map((s) => s.organizationId)]);
    // A customer who waited past the policy's maxQueueMinutes was offered a ticket: the row is flagged.
    const longWait = (q) => q.longWait === true || q.waitOffer === "offered" || q.waitOffer === "declined";
    replaceChildren(this.queuedBody, queued.length ? queued.map((q) => el("tr", {
      dataset: { sessionId: q.id, longWait: longWait(q) ? "true" : "false" }, class: longWait(q) ? "long-wait" : "" },
      el("td", {}, String(q.id)),
      el("td", { class: "organization", title: q.organizationId }, this.names.name(q.organizationId)),
      el("td", {}, q.customerName ?? q.customer?.name ?? ""),
      el("td", {}, q.subject),
      el("td", { class: "num wait" }, formatDuration((this.serverNow() - Date.parse(q.queuedAt)) / 1000),
        longWait(q) ? el("span", { class: "alert-badge", title: "Waited past the limit: offered a ticket" }, " long wait") : ""),
      el("td", {}, this.watchButton(q.id))))
      : el("tr", {}, el("td", { colspan: 6, class: "muted" }, "No one is waiting.")));

    const active = [...this.sessions.values()].filter((s) => s.state === "active").sort((a, b) => a.id - b.id);
    replaceChildren(this.activeBody, active.length ? active.map((s) => {
      const remaining = this.remaining(s.budget);
      const limit = s.budget?.limitSeconds ?? 0;
      const budgetText = remaining == null ? "—"
        : `${formatDuration(limit - remaining)} used, ${formatDuration(remaining)} left${s.budget.stage && !["running", "not_started"].includes(s.budget.stage) ? ` (${s.budget.stage.replaceAll("_", " ")})` : ""}`;
      return el("tr", { dataset: { sessionId: s.id } },
        el("td", {}, String(s.id)),
        el("td", { class: "agent" }, s.agent?.name ?? "—"),
        el("td", { class: "organization", title: s.organizationId }, this.names.name(s.organizationId)),
        el("td", {}, s.customer?.name ?? "", el("br"), el("span", { class: "muted" }, s.subject)),
        el("td", { class: "num" }, budgetText),
        el("td", {}, this.watchButton(s.id)));
    }) : el("tr", {}, el("td", { colspan: 6, class: "muted" }, "No active chats.")));

    replaceChildren(this.agentsBody, this.agents.length ? this.agents.map((a) => el("tr", {
      dataset: { agentId: a.id }, class: a.activeSessions.length > this.cap || (!a.connected && a.activeSessions.length) ? "alerting" : "" },
      el("td", {}, a.name),
      el("td", { class: `status-${a.status}` }, a.status),
      el("td", {}, a.connected ? "Yes" : "No"),
      el("td", { class: "num" }, String(a.activeSessions.length))))
      : el("tr", {}, el("td", { colspan: 4, class: "muted" }, "No agents.")));
    for (const id of this.watchButtons.keys()) if (!this.shownButtons.has(id)) this.watchButtons.delete(id);
    this.alerts.render();
    this.live.tick();
    if (focused) this.board.querySelector(`[data-focus-key="${focused}"]`)?.focus({ preventScroll: true });
  }
}

const stored = loadAuth(AUTH_KEY);
if (stored && stored.role === "supervisor") new SupervisorView(stored).mount();
else if (stored) showLogin(`You are signed in as ${stored.staff?.name ?? "an agent"} (${stored.role}); this page needs a supervisor account.`);
else showLogin();
