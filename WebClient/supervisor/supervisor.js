// The supervisor view: a live board of queued and active chats and agent loads (from the `session`, `queue` and
// `agents` frames a supervisor receives), the transcript archive and reader (transcript-list.js,
// transcript-reader.js), and the Audit tab (audit-view.js).
import { ChatConnection } from "../js/chat-connection.js";
import { el, formatDuration, replaceChildren } from "../js/dom.js";
import { clearAuth, loadAuth, logout, renderLogin, STAFF_AUTH_KEY } from "../console/staff-auth.js";
import { AuditView } from "./audit-view.js";
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
    this.reader = new TranscriptReader(auth.token);
    this.transcripts = new TranscriptList(auth.token, (id) => this.reader.open(id));
    this.audit = new AuditView(auth.token, auth.staff);
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
    this.tabs = {
      main: el("button", { type: "button", role: "tab", id: "tab-main", "aria-selected": "true", "aria-controls": "main",
        onclick: () => this.showTab("main") }, "Board and transcripts"),
      audit: el("button", { type: "button", role: "tab", id: "tab-audit", "aria-selected": "false", "aria-controls": "audit-panel", tabindex: "-1",
        onclick: () => this.showTab("audit") }, "Audit"),
    };

    replaceChildren(app,
      el("header", { class: "topbar" },
        el("h1", {}, "Supervisor view"),
        el("span", { class: "who" }, `Signed in as ${this.auth.staff.name} (${this.auth.staff.username})`),
        el("a", { href: "../console/" }, "Agent console"),
        el("button", { type: "button", class: "secondary", id: "logout", onclick: () => this.logout() }, "Log out")),
      this.banner,
      el("nav", { class: "tabs", role: "tablist", "aria-label": "Supervisor sections", onkeydown: (e) => this.tabKey(e) },
        this.tabs.main, this.tabs.audit),
      this.main = el("main", { id: "main", tabindex: "-1", role: "tabpanel", "aria-labelledby": "tab-main" },
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
        this.transcripts.render(table),
        this.reader.section),
      this.auditPanel);


    this.connection = new ChatConnection({ token: this.auth.token, storageKey: CONNECTION_KEY });
    this.connection.addEventListener("state", (e) => this.connectionState(e.detail.state));
    this.connection.addEventListener("welcome", (e) => {
      this.skewMs = Date.parse(e.detail.frame.serverTime) - Date.now() || 0;
    });
    this.connection.addEventListener("frame", (e) => this.frame(e.detail.frame));
    this.connection.start();
    this.ticker = setInterval(() => this.renderBoard(), 1000);
    this.renderBoard();
    this.transcripts.search();
  }

  /** Arrow keys move between the tabs (the WAI-ARIA tabs pattern); the selected tab is the one in the Tab order. */
  tabKey(event) {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    const next = this.tabs.main.getAttribute("aria-selected") === "true" ? "audit" : "main";
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
    this.auditPanel.hidden = name !== "audit";
    if (name === "audit") this.audit.load(true);
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
}

const stored = loadAuth(AUTH_KEY);
if (stored && stored.role === "supervisor") new SupervisorView(stored).mount();
else if (stored) showLogin(`You are signed in as ${stored.staff?.name ?? "an agent"} (${stored.role}); this page needs a supervisor account.`);
else showLogin();
