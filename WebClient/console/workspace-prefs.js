// Console settings kept in this browser (issue 12): auto-away after an idle time, how long a finished chat's
// summary stays in the tab strip, and desktop notifications (with the browser's permission), with the small
// controllers that use them. Nothing here talks to the server except through the callbacks it is given.
import { el, formatClock } from "../js/dom.js";

export const SETTINGS_KEY = "chatd.console.settings";
const DEFAULTS = { idleMinutes: 15, endedTabSeconds: 20, desktopNotifications: false };

export function loadSettings() {
  try {
    return { ...DEFAULTS, ...(JSON.parse(localStorage.getItem(SETTINGS_KEY) || "{}") ?? {}) };
  } catch {
    return { ...DEFAULTS };
  }
}

function saveSettings(settings) {
  try {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings));
  } catch {
    /* private mode: settings last for this page only */
  }
}

/** The sidebar's Settings section. onChange(settings) after each change. */
export class SettingsPanel {
  constructor(settings, onChange) {
    this.settings = settings;
    this.onChange = onChange;
    this.idle = el("input", { type: "number", id: "idle-minutes", min: "0", step: "any", value: String(settings.idleMinutes),
      "aria-describedby": "idle-hint", onchange: () => this.update() });
    this.ended = el("input", { type: "number", id: "ended-seconds", min: "1", step: "1", value: String(settings.endedTabSeconds),
      onchange: () => this.update() });
    this.desktop = el("input", { type: "checkbox", id: "desktop-notifications", checked: !!settings.desktopNotifications,
      onchange: () => this.toggleDesktop() });
    this.desktopNote = el("span", { class: "muted", id: "desktop-note" });
    this.element = el("details", { class: "console-settings", id: "console-settings" },
      el("summary", {}, "Settings"),
      el("div", { class: "field" }, el("label", { for: "idle-minutes" }, "Auto-away after (minutes idle)"), this.idle,
        el("span", { class: "muted", id: "idle-hint" }, "0 turns auto-away off.")),
      el("div", { class: "field" }, el("label", { for: "ended-seconds" }, "Keep finished chats for (seconds)"), this.ended),
      el("div", { class: "field-inline" }, this.desktop, el("label", { for: "desktop-notifications" }, "Desktop notifications")),
      this.desktopNote);
  }

  update() {
    const idle = Number(this.idle.value);
    const ended = Number(this.ended.value);
    if (Number.isFinite(idle) && idle >= 0) this.settings.idleMinutes = idle;
    if (Number.isFinite(ended) && ended >= 1) this.settings.endedTabSeconds = ended;
    this.settings.desktopNotifications = this.desktop.checked;
    saveSettings(this.settings);
    this.onChange(this.settings);
  }

  async toggleDesktop() {
    if (this.desktop.checked && "Notification" in window && Notification.permission !== "granted") {
      let permission = "denied";
      try {
        permission = await Notification.requestPermission();
      } catch {
        permission = "denied";
      }
      if (permission !== "granted") {
        this.desktop.checked = false;
        this.desktopNote.textContent = "The browser did not allow notifications.";
      }
    }
    this.update();
  }
}

/** Desktop notifications, when enabled and permitted, only while the page is not in front. */
export class DesktopNotifier {
  constructor(settings) {
    this.settings = settings;
    this.shown = 0;
  }

  notify(title, body, { tag, onClick } = {}) {
    if (!this.settings.desktopNotifications || document.hasFocus()) return false;
    if (!("Notification" in window) || Notification.permission !== "granted") return false;
    try {
      const notice = new Notification(title, { body, tag });
      notice.onclick = () => { window.focus(); onClick?.(); notice.close(); };
      this.shown += 1;
      document.documentElement.dataset.desktopNotices = String(this.shown);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Auto-away: after `settings.idleMinutes` without keyboard, pointer or focus activity on this page, an Available
 * agent is set to Away (`setAway()` sends `set_status away`) and told so in `element`. Coming back does not make
 * the agent Available again by itself: they choose it.
 */
export class IdleWatcher {
  constructor(settings, { isAvailable, setAway }) {
    this.settings = settings;
    this.isAvailable = isAvailable;
    this.setAway = setAway;
    this.lastActivity = Date.now();
    this.element = el("p", { class: "auto-away", id: "auto-away", role: "status", hidden: true });
    this.activity = () => { this.lastActivity = Date.now(); };
    for (const type of ["keydown", "pointerdown", "pointermove", "wheel", "focus"]) {
      window.addEventListener(type, this.activity, { passive: true, capture: true });
    }
  }

  /** Every second (the console's ticker). */
  tick() {
    const minutes = this.settings.idleMinutes;
    if (!(minutes > 0) || !this.isAvailable()) return;
    if (Date.now() - this.lastActivity < minutes * 60_000) return;
    if (this.setAway()) {
      this.lastActivity = Date.now(); // once per idle period, not every second until the status frame arrives
      this.element.hidden = false;
      this.element.textContent = `Set to Away automatically at ${formatClock(new Date().toISOString())} after ${minutes} minute${minutes === 1 ? "" : "s"} without activity. Choose Available to receive chats again.`;
    }
  }

  /** The agent chose a status themselves: the auto-away sentence no longer applies. */
  statusChosen(status) {
    if (status === "available") this.element.hidden = true;
  }

  stop() {
    for (const type of ["keydown", "pointerdown", "pointermove", "wheel", "focus"]) {
      window.removeEventListener(type, this.activity, { capture: true });
    }
  }
}
