// The agent console: login, availability, the live queue, concurrent chats as tabs, notifications.
// The WebSocket (reconnect, resume, resend, exactly-once events) is chat-connection.js; this file only renders.
import { ChatConnection } from "../js/chat-connection.js";
import { el, formatDuration, replaceChildren } from "../js/dom.js";
import { ChatView, setServiceRates } from "./chat-view.js";
import { explainLostChat, HeldChats } from "./held-chats.js";
import { clearAuth, loadAuth, logout, renderLogin, STAFF_AUTH_KEY } from "./staff-auth.js";
import { StatusControl } from "./status-control.js";
import { CannedManager, CannedReplies } from "./canned-replies.js";
import { endedSummary } from "./chat-extras.js";
import { TicketsView } from "./tickets-view.js";
import { DesktopNotifier, IdleWatcher, loadSettings, SettingsPanel } from "./workspace-prefs.js";
import { api } from "../js/dom.js";

const AUTH_KEY = STAFF_AUTH_KEY; // the same login as the supervisor view
const CONNECTION_KEY = "chatd.console.connection";
const BASE_TITLE = "Agent console — chatd";
const BEEP_GAP_MS = 800;

const app = document.getElementById("app");

function showLogin(notice = "") {
  document.title = BASE_TITLE;
  renderLogin(app, {
    title: "Agent console", storageKey: AUTH_KEY, roles: ["agent", "supervisor"], notice,
    onLoggedIn: (auth) => new AgentConsole(auth).mount(),
  });
}

class AgentConsole {
  constructor(auth) {
    this.auth = auth;
    this.me = auth.staff;
    this.chats = new Map();
    this.order = [];
    this.activeId = null;
    this.queue = [];
    this.knownQueue = new Set();
    this.agents = [];
    /** Most chats per agent (staff welcome `limits.agentSessionCap`): transfer targets must be under it. */
    this.agentSessionCap = Infinity;
    this.welcomes = 0;
    this.products = new Map();
    this.skewMs = 0;
    this.audio = null;
    this.lastBeep = 0;
    this.beeps = 0;
    this.everOpen = false;
    // Issue 12: settings, canned replies (used by every chat view's composer), tickets.
    this.settings = loadSettings();
    this.canned = new CannedReplies(auth.token);
  }

  // ---- setup

  mount() {
    this.statusControl = new StatusControl({
      send: (status) => this.command("set_status", { status }), notify: (text) => this.notify(text) });
    this.statusSelect = this.statusControl.select;
    this.sound = el("input", { type: "checkbox", id: "sound", checked: true });
    this.banner = el("div", { class: "banner", id: "connection-banner", role: "status", hidden: true });
    this.noticeBox = el("div", { class: "notice", id: "notice", role: "status", "aria-live": "polite" });
    this.queueList = el("ul", { class: "queue-list", id: "queue", "aria-labelledby": "queue-title" });
    this.queueCount = el("span", { id: "queue-count" }, "0");
    this.tabs = el("div", { class: "tabs", role: "tablist", id: "chat-tabs", "aria-label": "Open chats",
      onkeydown: (e) => this.tabKey(e) });
    this.panels = el("div", { id: "chat-panels", class: "workspace" });
    this.noChats = el("p", { class: "empty", id: "no-chats" },
      "No open chats. Set your status to Available to receive chats, or take one from the queue.");
    this.announcer = el("div", { class: "visually-hidden", "aria-live": "polite", id: "announcer" });
    this.tickets = new TicketsView(this);
    this.cannedManager = new CannedManager(this.canned, { isSupervisor: this.me.role === "supervisor", meId: this.me.id });
    this.settingsPanel = new SettingsPanel(this.settings, () => {});
    this.desktop = new DesktopNotifier(this.settings);
    this.idle = new IdleWatcher(this.settings, {
      isAvailable: () => this.statusControl.known === "available",
      setAway: () => this.command("set_status", { status: "away" }, { quiet: true }),
    });
    this.chatsView = el("div", { class: "chats-view", id: "chats-view" });
    this.viewChats = el("button", { type: "button", role: "tab", id: "view-chats", "aria-selected": "true",
      "aria-controls": "chats-view", onclick: () => this.showView("chats") }, "Chats");
    this.viewTickets = el("button", { type: "button", role: "tab", id: "view-tickets", "aria-selected": "false",
      "aria-controls": "tickets-view", tabindex: "-1", onclick: () => this.showView("tickets") }, "Tickets");

    replaceChildren(app,
      el("header", { class: "topbar" },
        el("h1", {}, "Agent console"),
        el("span", { class: "who", id: "who" }, `Signed in as ${this.me.name} (${this.me.username})`),
        el("span", { class: "field-inline flush" }, el("label", { for: "status" }, "My status"), this.statusSelect),
        this.statusControl.note,
        this.idle.element,
        el("span", { class: "field-inline flush" }, this.sound, el("label", { for: "sound" }, "Sound")),
        el("button", { type: "button", class: "secondary", id: "logout", onclick: () => this.logout() }, "Log out")),
      this.banner,
      this.noticeBox,
      el("div", { class: "console" },
        el("aside", { class: "sidebar", "aria-label": "Queue and shortcuts" },
          el("h2", { id: "queue-title" }, "Queue (", this.queueCount, ")"),
          this.queueList,
          this.cannedManager.element,
          this.settingsPanel.element,
          el("section", { class: "shortcuts", id: "shortcuts", "aria-labelledby": "shortcuts-title" },
            el("h2", { id: "shortcuts-title" }, "Keyboard shortcuts"),
            el("dl", {},
              el("dt", {}, el("kbd", {}, "Enter")), el("dd", {}, "Send the message"),
              el("dt", {}, el("kbd", {}, "Shift"), "+", el("kbd", {}, "Enter")), el("dd", {}, "New line"),
              el("dt", {}, el("kbd", {}, "Alt"), "+", el("kbd", {}, "1"), "…", el("kbd", {}, "9")), el("dd", {}, "Switch to chat 1…9"),
              el("dt", {}, el("kbd", {}, "←"), " ", el("kbd", {}, "→")), el("dd", {}, "Move between chat tabs"),
              el("dt", {}, el("kbd", {}, "Tab")), el("dd", {}, "Next control"))),
        ),
        el("main", { class: "workspace", id: "main", tabindex: "-1" },
          el("nav", { class: "view-switch", role: "tablist", "aria-label": "Views" }, this.viewChats, this.viewTickets),
          replaceChildren(this.chatsView,
            el("h2", { class: "visually-hidden" }, "Chats"),
            this.tabs, this.noChats, this.panels),
          this.tickets.element)),
      this.announcer);

    // A user gesture (the login click or this page's first key/click) lets the AudioContext start.
    const unlock = () => this.audioContext();
    document.addEventListener("pointerdown", unlock, { once: true });
    document.addEventListener("keydown", unlock, { once: true });
    this.keyHandler = (e) => this.globalKey(e);
    document.addEventListener("keydown", this.keyHandler);
    this.focusHandler = () => this.markActiveRead();
    window.addEventListener("focus", this.focusHandler);
    document.addEventListener("visibilitychange", this.focusHandler);

    this.connection = new ChatConnection({ token: this.auth.token, storageKey: CONNECTION_KEY });
    this.held = new HeldChats(this.connection);
    this.connection.addEventListener("state", (e) => this.connectionState(e.detail.state));
    this.connection.addEventListener("welcome", (e) => this.welcome(e.detail.frame));
    this.connection.addEventListener("frame", (e) => this.frame(e.detail.frame));
    this.connection.addEventListener("event", (e) => this.event(e.detail.event));
    this.connection.start();
    this.ticker = setInterval(() => this.tick(), 1000);
    this.canned.load();
    this.updateTitle();
    this.statusSelect.focus();
    window.agentConsole = this; // for debugging and the browser tests (beep count)
  }

  async logout() {
    clearInterval(this.ticker);
    this.idle.stop();
    document.removeEventListener("keydown", this.keyHandler);
    window.removeEventListener("focus", this.focusHandler);
    document.removeEventListener("visibilitychange", this.focusHandler);
    this.connection.stop();
    this.connection.forget();
    await logout(AUTH_KEY, this.auth.token);
    showLogin("You are logged out.");
  }

  // ---- connection

  connectionState(state) {
    if (state === "open") {
      this.everOpen = true;
      this.banner.hidden = true;
    } else if (state === "reconnecting" || state === "connecting") {
      this.banner.hidden = false;
      this.banner.textContent = this.everOpen
        ? "Connection lost — reconnecting… Messages you send now are kept and delivered when it is back."
        : "Connecting…";
    } else if (state === "auth_failed") {
      clearInterval(this.ticker);
      document.removeEventListener("keydown", this.keyHandler);
      this.connection.stop();
      this.connection.forget();
      clearAuth(AUTH_KEY, this.auth.token);
      showLogin("Your session has ended. Please log in again.");
    }
  }

  welcome(frame) {
    this.welcomes += 1;
    this.skewMs = Date.parse(frame.serverTime) - Date.now() || 0;
    this.agentSessionCap = frame.limits?.agentSessionCap ?? Infinity;
    // Resumed only once the server lists them as ours; the others are explained (held-chats.js).
    this.held.holdBack();
    for (const p of frame.products ?? []) this.products.set(p.id, p.name);
    setServiceRates(frame.serviceRates);
    for (const chat of this.chats.values()) chat.renderHeader();
  }

  serverNow() {
    return Date.now() + this.skewMs;
  }

  productName(id) {
    return this.products.get(id) ?? id;
  }

  frame(frame) {
    switch (frame.type) {
      case "status":
        // Right after a welcome (before its `queue`) on a reconnect: the server's status for the new connection.
        this.statusControl.apply(frame.status, { afterReconnect: this.welcomes > 1 && this.held.settling });
        this.idle.statusChosen(frame.status);
        break;
      case "ticket":
        this.tickets.ticketChanged(frame);
        break;
      case "session":
        this.session(frame.session);
        break;
      case "queue":
        this.renderQueue(frame.entries ?? []);
        for (const id of this.held.settle()) {
          const chat = this.chats.get(id);
          if (chat?.isMine) explainLostChat(chat, this.auth.token);
          // Messages still waiting for that chat can no longer be sent there.
          for (const pending of this.connection.pending(id)) {
            this.connection.discard(pending.clientId);
            chat?.renderPending(pending, "this chat is no longer assigned to you");
          }
        }
        break;
      case "agents":
        this.agents = frame.agents ?? [];
        for (const chat of this.chats.values()) chat.renderTransferTargets();
        break;
      case "budget": {
        const chat = this.chats.get(frame.sessionId);
        chat?.applyBudget(frame);
        break;
      }
      case "typing":
        if (frame.role === "customer") this.chats.get(frame.sessionId)?.setTyping(frame.active);
        break;
      case "read":
        if (frame.role === "customer") this.chats.get(frame.sessionId)?.setCustomerRead(frame.seq);
        break;
      case "error":
        this.error(frame);
        break;
      default:
        break;
    }
  }

  session(summary) {
    let chat = this.chats.get(summary.id);
    const mine = summary.agent && Number(summary.agent.id) === Number(this.me.id) && summary.state === "active";
    if (!chat && !mine) return;
    if (!chat) chat = this.addChat(summary.id);
    // The server follows chats assigned to this connection; a chat assigned while this page was away needs a sync.
    if (mine) this.held.confirm(summary.id);
    chat.applySummary(summary);
    this.refreshUnread(chat);
  }

  event(event) {
    let chat = this.chats.get(event.sessionId);
    if (!chat) {
      chat = this.addChat(event.sessionId);
      // Normally a `session` frame names the chat; one that only replays (closed, after a reload) is looked up.
      setTimeout(() => { if (!chat.summary) this.restoreSummary(chat); }, 1500);
    }
    const fromCustomer = chat.addEvent(event);
    if (fromCustomer) {
      if (this.activeId === event.sessionId && this.pageFocused()) {
        this.markRead(chat);
      } else {
        chat.unread += 1;
        chat.renderUnread();
        this.updateTitle();
        this.beep();
        this.announcer.textContent = `New message from ${chat.customerName}`;
        this.desktop.notify(`New message from ${chat.customerName}`, event.text ?? "",
          { tag: `chat-${chat.id}`, onClick: () => { this.showView("chats"); this.activate(chat.id, { focus: true }); } });
      }
    }
    if (event.kind === "closed" || event.kind === "converted") this.scheduleEnded(chat);
    if (event.kind === "closed" && this.activeId === chat.id) this.announcer.textContent = `Chat with ${chat.customerName} ended`;
    const pending = this.connection.pending(event.sessionId);
    for (const frame of pending) chat.renderPending(frame);
  }

  /** The chat is no longer this agent's (its view explains why): stop following it. */
  chatReleased(id) {
    this.connection.unfollow(id);
  }

  error(frame) {
    const message = frame.message || frame.code;
    // A refused message is shown on its bubble; everything else in the notice line.
    if (frame.ref) {
      for (const chat of this.chats.values()) {
        const item = chat.timeline.querySelector(`[data-client-id="${CSS.escape(frame.ref)}"]`);
        if (item) chat.renderPending({ clientId: frame.ref, text: "" }, message);
      }
    }
    this.notify(message);
  }

  notify(text) {
    this.noticeBox.textContent = "";
    this.noticeBox.append(text);
  }

  /** Sends a command now; returns false (and says so) when the connection is down. */
  command(type, fields = {}, { quiet = false } = {}) {
    const sent = this.connection.send(type, fields);
    if (!sent && !quiet) this.notify("Not connected — try again when the connection is back.");
    if (sent && !quiet) this.notify("");
    return sent;
  }

  /** A staff-only note in a chat (never sent to the customer), kept until acknowledged like a message. */
  sendNote(sessionId, text) {
    const clientId = this.connection.sendReliably("note", { sessionId, text });
    this.chats.get(sessionId)?.renderPending({ clientId, text, type: "note" });
  }

  sendMessage(sessionId, text) {
    const clientId = this.connection.sendMessage(sessionId, text);
    this.chats.get(sessionId)?.renderPending({ clientId, text });
  }

  // ---- chats

  addChat(id) {
    const chat = new ChatView(id, this);
    this.chats.set(id, chat);
    this.order.push(id);
    this.tabs.append(chat.tab);
    this.panels.append(chat.panel);
    this.noChats.hidden = true;
    if (this.activeId == null) this.activate(id);
    this.renumberTabs();
    return chat;
  }

  /**
   * A chat that ended (closed, or converted to a ticket) shows a short summary, then leaves the tab strip by
   * itself after the configured time (`endedTabSeconds`).
   */
  scheduleEnded(chat) {
    if (chat.dismissAt) return;
    chat.dismissAt = Date.now() + this.settings.endedTabSeconds * 1000;
    chat.endedLine = el("p", { class: "ended-summary", id: `ended-${chat.id}`, role: "status" });
    chat.panel.querySelector(".chat-head")?.append(chat.endedLine);
    this.renderEnded(chat);
  }

  renderEnded(chat) {
    const left = Math.max(0, Math.ceil((chat.dismissAt - Date.now()) / 1000));
    chat.endedLine.textContent = endedSummary(chat, left);
    if (left <= 0) this.dismiss(chat.id);
  }

  /** A chat that appeared from replayed events only (after a reload): its header from the transcript. */
  async restoreSummary(chat) {
    const { status, body } = await api("GET", `/api/transcripts/${chat.id}?limit=1`, { token: this.auth.token });
    if (status !== 200 || !body?.session || chat.summary || !this.chats.has(chat.id)) return;
    chat.applySummary({ ...body.session, id: chat.id });
    if (chat.state === "closed") this.scheduleEnded(chat);
  }

  dismiss(id) {
    const chat = this.chats.get(id);
    if (!chat) return;
    chat.destroy();
    this.chats.delete(id);
    this.order = this.order.filter((x) => x !== id);
    this.connection.unfollow(id);
    if (this.activeId === id) {
      this.activeId = null;
      if (this.order.length) this.activate(this.order[0], { focus: true });
      else document.getElementById("main").focus();
    }
    this.noChats.hidden = this.order.length > 0;
    this.renumberTabs();
    this.updateTitle();
  }

  renumberTabs() {
    this.order.forEach((id, index) => {
      const chat = this.chats.get(id);
      chat.tab.title = index < 9 ? `Alt+${index + 1}` : "";
      chat.tab.setAttribute("aria-keyshortcuts", index < 9 ? `Alt+${index + 1}` : "");
    });
  }

  activate(id, { focus = false } = {}) {
    const chat = this.chats.get(id);
    if (!chat) return;
    this.activeId = id;
    for (const other of this.chats.values()) other.setActive(other === chat);
    this.markRead(chat);
    if (focus) (chat.input.disabled ? chat.tab : chat.input).focus();
  }

  markActiveRead() {
    const chat = this.chats.get(this.activeId);
    if (chat && this.pageFocused()) this.markRead(chat);
  }

  markRead(chat) {
    chat.unread = 0;
    chat.renderUnread();
    this.updateTitle();
    if (chat.lastSeq > chat.agentReadSeq && chat.isMine) {
      if (this.connection.send("read", { sessionId: chat.id, seq: chat.lastSeq })) chat.agentReadSeq = chat.lastSeq;
    }
  }

  refreshUnread(chat) {
    if (this.activeId === chat.id && this.pageFocused()) this.markRead(chat);
  }

  pageFocused() {
    return document.visibilityState === "visible" && document.hasFocus();
  }

  updateTitle() {
    let total = 0;
    for (const chat of this.chats.values()) total += chat.unread;
    document.title = total ? `(${total}) ${BASE_TITLE}` : BASE_TITLE;
  }

  // ---- queue

  renderQueue(entries) {
    const fresh = entries.filter((e) => !this.knownQueue.has(e.sessionId));
    this.knownQueue = new Set(entries.map((e) => e.sessionId));
    this.queue = entries;
    this.queueCount.textContent = String(entries.length);
    // Keyed by session: items that stay are kept (so is the keyboard focus on them); when the focused item
    // leaves, focus moves to the item now in its place, or to the list.
    const focused = this.queueList.contains(document.activeElement) ? document.activeElement : null;
    const focusedIndex = focused ? [...this.queueList.children].indexOf(focused.closest("li")) : -1;
    const existing = new Map([...this.queueList.querySelectorAll(".queue-item")].map((li) => [Number(li.dataset.sessionId), li]));
    const items = entries.length ? entries.map((entry) => existing.get(Number(entry.sessionId)) ?? this.queueItem(entry))
      : [el("li", { class: "muted" }, "No one is waiting.")];
    items.forEach((item, i) => {
      if (this.queueList.children[i] !== item) this.queueList.insertBefore(item, this.queueList.children[i] ?? null);
    });
    while (this.queueList.children.length > items.length) this.queueList.lastElementChild.remove();
    if (focused && !this.queueList.contains(focused)) {
      const next = this.queueList.children[Math.min(focusedIndex, this.queueList.children.length - 1)];
      (next?.querySelector("button") ?? this.queueList).focus();
    }
    if (fresh.length) {
      this.beep();
      this.announcer.textContent = `${fresh.length} new chat${fresh.length > 1 ? "s" : ""} in the queue`;
      this.desktop.notify(`${fresh.length} new chat${fresh.length > 1 ? "s" : ""} in the queue`, fresh[0].subject ?? "", { tag: "queue" });
    }
  }

  queueItem(entry) {
    {
      const wait = el("span", { class: "wait", dataset: { since: entry.queuedAt } }, this.waited(entry.queuedAt));
      return el("li", { class: "queue-item", dataset: { sessionId: entry.sessionId } },
        el("div", { class: "subject" }, entry.subject),
        el("div", { class: "muted" }, `${entry.customerName} · ${entry.organizationId} · ${this.productName(entry.product)}`),
        el("div", { class: "row" },
          el("span", {}, "Waiting ", wait),
          el("button", {
            type: "button", class: "take", "aria-label": `Take chat from ${entry.customerName}: ${entry.subject}`,
            onclick: () => this.command("take", { sessionId: entry.sessionId }),
          }, "Take")));
    }
  }

  // ---- views

  showView(name) {
    const tickets = name === "tickets";
    this.chatsView.hidden = tickets;
    this.tickets.element.hidden = !tickets;
    this.viewChats.setAttribute("aria-selected", String(!tickets));
    this.viewTickets.setAttribute("aria-selected", String(tickets));
    this.viewChats.tabIndex = tickets ? -1 : 0;
    this.viewTickets.tabIndex = tickets ? 0 : -1;
    if (tickets) this.tickets.show();
  }

  waited(iso) {
    return formatDuration((this.serverNow() - Date.parse(iso)) / 1000);
  }

  tick() {
    this.tickets.tick();
    this.idle.tick();
    for (const chat of [...this.chats.values()]) if (chat.dismissAt) this.renderEnded(chat);
    for (const span of this.queueList.querySelectorAll(".wait")) span.textContent = this.waited(span.dataset.since);
    for (const chat of this.chats.values()) chat.renderClock();
  }

  // ---- keyboard

  globalKey(e) {
    const digit = /^Digit([1-9])$/.exec(e.code);
    if (e.altKey && !e.ctrlKey && !e.metaKey && digit) {
      const id = this.order[Number(digit[1]) - 1];
      if (id != null) {
        e.preventDefault();
        this.activate(id, { focus: true });
      }
    }
  }

  tabKey(e) {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft" && e.key !== "Home" && e.key !== "End") return;
    const index = this.order.indexOf(this.activeId);
    if (index < 0) return;
    let next = index;
    if (e.key === "ArrowRight") next = (index + 1) % this.order.length;
    if (e.key === "ArrowLeft") next = (index - 1 + this.order.length) % this.order.length;
    if (e.key === "Home") next = 0;
    if (e.key === "End") next = this.order.length - 1;
    e.preventDefault();
    this.activate(this.order[next]);
    this.chats.get(this.order[next]).tab.focus();
  }

  // ---- sound

  audioContext() {
    if (this.audio) return this.audio;
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    try {
      this.audio = new Context();
    } catch {
      this.audio = null;
    }
    return this.audio;
  }

  /** A short two-tone beep generated with WebAudio (no audio file). */
  beep() {
    if (!this.sound.checked) return;
    const now = Date.now();
    if (now - this.lastBeep < BEEP_GAP_MS) return;
    this.lastBeep = now;
    this.beeps += 1;
    document.documentElement.dataset.beeps = String(this.beeps);
    const ctx = this.audioContext();
    if (!ctx) return;
    try {
      if (ctx.state === "suspended") ctx.resume();
      const t = ctx.currentTime;
      const gain = ctx.createGain();
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.2, t + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.25);
      gain.connect(ctx.destination);
      const tone = ctx.createOscillator();
      tone.type = "sine";
      tone.frequency.setValueAtTime(880, t);
      tone.frequency.setValueAtTime(1320, t + 0.1);
      tone.connect(gain);
      tone.start(t);
      tone.stop(t + 0.26);
    } catch {
      /* sound is a nicety */
    }
  }
}

const stored = loadAuth(AUTH_KEY);
if (stored) new AgentConsole(stored).mount();
else showLogin();
