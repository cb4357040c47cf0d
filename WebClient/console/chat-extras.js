// What issue 12 adds to one chat view, kept out of chat-view.js so that it stays a few hook lines there:
// the composer's Reply/Note mode (a `note` is staff-only, never sent to the customer), `/` canned-reply
// suggestions, the customer context panel, the rendering of notes and supervisors' whispers, and the short
// summary a finished chat shows before it leaves the tab strip.
import { el, formatClock, formatDuration } from "../js/dom.js";
import { CannedSuggest } from "./canned-replies.js";
import { ContextPanel } from "./context-panel.js";

/** Adds the note toggle, the canned suggestions and the context panel to `view` (a ChatView, during build()). */
export function attachChatExtras(view) {
  const app = view.app;
  const id = view.id;
  view.noteMode = false;
  view.modeToggle = el("button", {
    type: "button", class: "secondary note-toggle", id: `note-mode-${id}`, "aria-pressed": "false",
    title: "Internal note: only staff see it", onclick: () => setNoteMode(view, !view.noteMode),
  }, "Note");
  view.composer.insertBefore(view.modeToggle, view.input);
  if (app.canned) {
    view.suggest = new CannedSuggest(view.input, app.canned, () => placeholderValues(view));
    view.composer.append(view.suggest.list);
  }
  view.context = new ContextPanel(id, app.auth.token, () => view.renderHeader());
  view.actions.prepend(view.context.element);
}

export function setNoteMode(view, on) {
  view.noteMode = on;
  view.modeToggle.setAttribute("aria-pressed", String(on));
  view.composer.classList.toggle("note-mode", on);
  view.input.placeholder = on ? "Internal note — the customer never sees it" : "";
  view.sendButton.textContent = on ? "Add note" : "Send";
}

/** The values of `{customer.name}`, `{agent.name}`, `{organization.name}` in this chat. */
export function placeholderValues(view) {
  const org = view.context?.context?.organization;
  return {
    customer: view.summary?.customer?.name ?? "",
    agent: view.app.me.name,
    organization: org?.name || view.summary?.organizationName || view.summary?.organizationId || "",
  };
}

/** A staff-only note: an agent's own or colleague's note, or a supervisor's whisper. */
export function renderNote(view, event) {
  const author = event.author ?? {};
  const own = Number(author.id) === Number(view.app.me.id) && author.role !== "customer";
  const whisper = author.role === "supervisor" && !own;
  const label = whisper ? `Whisper from ${author.name || "a supervisor"}` : `Internal note · ${own ? "You" : author.name || author.role}`;
  return el("li", { class: `msg note${whisper ? " whisper" : ""}`, dataset: { seq: event.seq, kind: "note" } },
    el("div", { class: "meta" }, `${label} · ${formatClock(event.at)} · not visible to the customer`),
    el("p", { class: "text" }, event.text ?? ""));
}

/** The summary a finished chat shows until it leaves the tab strip. */
export function endedSummary(view, seconds) {
  const events = [...view.events.values()];
  const messages = events.filter((e) => e.kind === "message" || e.kind === "requested").length;
  const first = events.reduce((min, e) => Math.min(min, Date.parse(e.at)), Infinity);
  const last = events.reduce((max, e) => Math.max(max, Date.parse(e.at)), 0);
  const how = view.ticketNumber ? `Converted to ticket #${view.ticketNumber}` : "Chat ended";
  const duration = Number.isFinite(first) && last > first ? `, ${formatDuration((last - first) / 1000)} long` : "";
  return `${how}: ${messages} message${messages === 1 ? "" : "s"}${duration}. This tab closes in ${seconds} s.`;
}
