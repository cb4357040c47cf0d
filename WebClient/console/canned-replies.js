// Canned replies in the console (issue 12): the shared and personal replies from `GET /api/canned-replies`, the
// `/shortcut` suggestions under a chat composer (keyboard-selectable; the body is inserted with its placeholders
// filled in) and a small manager for one's own replies (supervisors: the shared ones too). HTTP: PROTOCOL.md §7.
import { api, el, replaceChildren } from "../js/dom.js";

const MAX_SUGGESTIONS = 8;

/** Fills `{customer.name}`, `{agent.name}`, `{organization.name}`; an unknown value leaves the placeholder as is. */
export function fillPlaceholders(body, values) {
  return body.replace(/\{(customer|agent|organization)\.name\}/g, (whole, key) => values[key] || whole);
}

/** The replies this staff member may use, loaded once and after each change in the manager. */
export class CannedReplies extends EventTarget {
  constructor(token) {
    super();
    this.token = token;
    this.replies = [];
  }

  async load() {
    const { status, body } = await api("GET", "/api/canned-replies", { token: this.token });
    if (status === 200) {
      this.replies = body.cannedReplies ?? [];
      this.dispatchEvent(new Event("change"));
    }
    return status;
  }

  /** Replies whose shortcut starts with `prefix` (then those whose title contains it), personal ones first. */
  matching(prefix) {
    const p = prefix.toLowerCase();
    const starts = this.replies.filter((r) => r.shortcut.startsWith(p));
    const inTitle = p ? this.replies.filter((r) => !r.shortcut.startsWith(p) && (r.title ?? "").toLowerCase().includes(p)) : [];
    const byOwner = (a, b) => Number(a.shared) - Number(b.shared) || a.shortcut.localeCompare(b.shortcut);
    return [...starts.sort(byOwner), ...inTitle.sort(byOwner)].slice(0, MAX_SUGGESTIONS);
  }
}

/**
 * The suggestion list of one composer. The composer's keydown handler calls handleKey(e) first; it returns true
 * when the key was used here (arrows, Enter/Tab to insert, Escape to close).
 */
export class CannedSuggest {
  /**
   * @param {HTMLTextAreaElement} input
   * @param {CannedReplies} store
   * @param {() => object} values the placeholder values now: {customer, agent, organization}
   */
  constructor(input, store, values) {
    this.input = input;
    this.store = store;
    this.values = values;
    this.items = [];
    this.index = 0;
    this.token = null;
    const id = `${input.id}-canned`;
    this.list = el("ul", { class: "canned-suggest", id, role: "listbox", hidden: true, "aria-label": "Canned replies" });
    input.setAttribute("aria-controls", id);
    input.setAttribute("aria-autocomplete", "list");
    input.addEventListener("input", () => this.update());
    input.addEventListener("blur", () => setTimeout(() => this.close(), 150));
  }

  /** The `/word` being typed at the caret (at the start or after a space), or null. */
  currentToken() {
    const caret = this.input.selectionStart ?? this.input.value.length;
    const before = this.input.value.slice(0, caret);
    const match = /(^|\s)\/([\w-]*)$/.exec(before);
    return match ? { start: caret - match[2].length - 1, end: caret, word: match[2] } : null;
  }

  update() {
    this.token = this.currentToken();
    this.items = this.token ? this.store.matching(this.token.word) : [];
    this.index = 0;
    this.render();
  }

  render() {
    this.list.hidden = this.items.length === 0;
    this.input.setAttribute("aria-expanded", String(!this.list.hidden));
    replaceChildren(this.list, this.items.map((reply, i) => el("li", {
      role: "option", id: `${this.list.id}-${i}`, class: "canned-option", "aria-selected": String(i === this.index),
      dataset: { shortcut: reply.shortcut },
      onmousedown: (e) => { e.preventDefault(); this.index = i; this.insert(); },
    }, el("strong", {}, `/${reply.shortcut}`), " ", reply.title ?? "", reply.shared ? el("span", { class: "muted" }, " · shared") : null,
    el("div", { class: "muted canned-preview" }, reply.body.slice(0, 120)))));
    if (!this.list.hidden) this.input.setAttribute("aria-activedescendant", `${this.list.id}-${this.index}`);
    else this.input.removeAttribute("aria-activedescendant");
  }

  close() {
    this.items = [];
    this.render();
  }

  handleKey(e) {
    if (this.list.hidden || !this.items.length) return false;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      const step = e.key === "ArrowDown" ? 1 : -1;
      this.index = (this.index + step + this.items.length) % this.items.length;
      this.render();
    } else if ((e.key === "Enter" && !e.shiftKey) || e.key === "Tab") {
      this.insert();
    } else if (e.key === "Escape") {
      this.close();
    } else {
      return false;
    }
    e.preventDefault();
    return true;
  }

  /** Replaces the `/word` with the chosen reply's body, placeholders filled in. */
  insert() {
    const reply = this.items[this.index];
    const token = this.token;
    if (!reply || !token) return;
    const text = fillPlaceholders(reply.body, this.values());
    const value = this.input.value;
    this.input.value = value.slice(0, token.start) + text + value.slice(token.end);
    const caret = token.start + text.length;
    this.input.setSelectionRange(caret, caret);
    this.close();
    this.input.focus();
    this.input.dispatchEvent(new Event("input"));
  }
}

/** The sidebar's manager: list, add, edit, delete (personal; shared too for supervisors). */
export class CannedManager {
  constructor(store, { isSupervisor, meId }) {
    this.store = store;
    this.isSupervisor = isSupervisor;
    this.meId = meId;
    this.editing = null;
    this.shortcut = el("input", { id: "canned-shortcut", required: true, maxlength: 32, pattern: "[A-Za-z0-9_\\-]+", size: 12 });
    this.title = el("input", { id: "canned-title", maxlength: 200 });
    this.body = el("textarea", { id: "canned-body", rows: 3, maxlength: 4000, required: true,
      placeholder: "Hi {customer.name}, … — {agent.name}, {organization.name}" });
    this.shared = el("input", { type: "checkbox", id: "canned-shared" });
    this.error = el("p", { class: "error-text", role: "alert", id: "canned-error" });
    this.submitButton = el("button", { type: "submit", id: "canned-save" }, "Add reply");
    this.cancelButton = el("button", { type: "button", class: "secondary", hidden: true, onclick: () => this.reset() }, "Cancel");
    this.list = el("ul", { class: "plain-list canned-list", id: "canned-list" });
    this.element = el("details", { class: "canned-manager", id: "canned-manager" },
      el("summary", {}, "Canned replies"),
      el("p", { class: "muted" }, "Type / and a few letters in a chat to insert one."),
      this.list,
      el("form", { onsubmit: (e) => { e.preventDefault(); this.save(); } },
        el("div", { class: "field" }, el("label", { for: "canned-shortcut" }, "Shortcut"), this.shortcut),
        el("div", { class: "field" }, el("label", { for: "canned-title" }, "Title"), this.title),
        el("div", { class: "field" }, el("label", { for: "canned-body" }, "Text"), this.body),
        isSupervisor ? el("div", { class: "field-inline" }, this.shared, el("label", { for: "canned-shared" }, "Shared with the team")) : null,
        this.error, el("div", { class: "close-row" }, this.submitButton, this.cancelButton)));
    store.addEventListener("change", () => this.render());
  }

  mayChange(reply) {
    return reply.shared ? this.isSupervisor : Number(reply.ownerId) === Number(this.meId);
  }

  render() {
    replaceChildren(this.list, this.store.replies.length ? this.store.replies.map((reply) => el("li", { class: "canned-item", dataset: { id: reply.id } },
      el("strong", {}, `/${reply.shortcut}`), reply.shared ? " (shared)" : "",
      this.mayChange(reply) ? el("span", { class: "canned-buttons" },
        el("button", { type: "button", class: "secondary small", "aria-label": `Edit /${reply.shortcut}`, onclick: () => this.edit(reply) }, "Edit"),
        el("button", { type: "button", class: "secondary small", "aria-label": `Delete /${reply.shortcut}`, onclick: () => this.remove(reply) }, "Delete"))
        : null)) : el("li", { class: "muted" }, "No canned replies yet."));
  }

  edit(reply) {
    this.editing = reply;
    this.shortcut.value = reply.shortcut;
    this.title.value = reply.title ?? "";
    this.body.value = reply.body;
    this.shared.checked = !!reply.shared;
    this.shared.disabled = true;
    this.submitButton.textContent = "Save reply";
    this.cancelButton.hidden = false;
    this.shortcut.focus();
  }

  reset() {
    this.editing = null;
    for (const field of [this.shortcut, this.title, this.body]) field.value = "";
    this.shared.checked = false;
    this.shared.disabled = false;
    this.submitButton.textContent = "Add reply";
    this.cancelButton.hidden = true;
    this.error.textContent = "";
  }

  async save() {
    const body = { shortcut: this.shortcut.value.trim(), body: this.body.value.trim() };
    if (this.title.value.trim()) body.title = this.title.value.trim();
    body.shared = this.editing ? !!this.editing.shared : this.shared.checked;
    const { status, body: answer } = this.editing
      ? await api("PUT", `/api/canned-replies/${this.editing.id}`, { token: this.store.token, body })
      : await api("POST", "/api/canned-replies", { token: this.store.token, body });
    if (status !== 200 && status !== 201) {
      this.error.textContent = answer?.error?.message ?? `Refused (${status}).`;
      return;
    }
    this.reset();
    await this.store.load();
  }

  async remove(reply) {
    const { status, body } = await api("DELETE", `/api/canned-replies/${reply.id}`, { token: this.store.token });
    if (status >= 300) this.error.textContent = body?.error?.message ?? `Refused (${status}).`;
    await this.store.load();
  }
}
