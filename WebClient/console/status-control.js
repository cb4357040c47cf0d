// The agent's own availability: the "My status" select, a sentence saying what the status means, and a notice
// when the status changes without this page asking (after a reconnect, after being requeued, from another tab).
import { el } from "../js/dom.js";
import { statusChangeSentence, statusSentence } from "./explain.js";

export class StatusControl {
  /** send(status) sends set_status and returns false when not connected; notify(text) shows a notice. */
  constructor({ send, notify }) {
    this.send = send;
    this.notify = notify;
    /** The status the server last announced, and the one this page asked for and has not seen confirmed. */
    this.known = null;
    this.requested = null;
    this.select = el("select", { id: "status", "aria-describedby": "status-note", onchange: () => this.request(this.select.value) },
      ["available", "away", "offline"].map((s) => el("option", { value: s }, s[0].toUpperCase() + s.slice(1))));
    this.select.value = "away";
    this.note = el("span", { class: "status-note", id: "status-note", role: "status" });
  }

  request(status) {
    this.requested = status;
    if (!this.send(status)) {
      this.requested = null;
      if (this.known) this.select.value = this.known;
    }
  }

  /** A `status` frame: what this page asked for, the first one after hello, or a change nobody asked for here. */
  apply(status, { afterReconnect = false } = {}) {
    const asked = this.requested === status;
    if (asked) this.requested = null;
    const changed = this.known != null && this.known !== status;
    this.known = status;
    this.select.value = status;
    this.note.textContent = statusSentence(status);
    this.note.dataset.status = status;
    if (changed && !asked) this.notify(statusChangeSentence(status, { afterReconnect }));
  }
}
