// CSAT: after a chat ends its customer rates it 1-5 with an optional comment (`POST /api/transcripts/{id}/rating`,
// docs/PROTOCOL.md §7). One rating per chat; the server lets it change for a short window and then answers
// 409 `rating_locked`, which is said in words. A chat already rated (a reload) opens on its thank-you state.
import { api, el } from "../js/dom.js";

const LABELS = ["Very poor", "Poor", "OK", "Good", "Excellent"];
const MAX_COMMENT = 1000;

let ratingCount = 0;

export class ChatRating {
  /**
   * @param {object} options
   * @param {string} options.token the customer token
   * @param {number} options.sessionId the closed chat
   */
  constructor({ token, sessionId }) {
    this.token = token;
    this.sessionId = sessionId;
    this.id = `cw-rating${++ratingCount}`;
    this.current = null; // {rating, comment, ratedAt} once stored
    this.locked = false;
    this.element = el("section", { class: "cw-rating", "aria-labelledby": `${this.id}-title`, dataset: { state: "loading" } });
    this.loadStored();
  }

  async loadStored() {
    let result;
    try {
      result = await api("GET", `/api/transcripts/${this.sessionId}?limit=1`, { token: this.token });
    } catch {
      result = { status: 0, body: null };
    }
    if (this.element.dataset.state !== "loading") return; // the customer was quicker than the answer
    const stored = result.status === 200 ? result.body?.csat : null;
    if (stored) {
      this.current = stored;
      this.renderThanks();
    } else {
      this.renderPrompt();
    }
  }

  renderPrompt({ message = "" } = {}) {
    const previous = this.current;
    const radios = LABELS.map((label, index) => {
      const value = index + 1;
      const input = el("input", {
        type: "radio", name: `${this.id}-score`, id: `${this.id}-score-${value}`, value: String(value),
        class: "cw-visually-hidden", checked: previous?.rating === value,
      });
      return el("span", { class: "cw-rating-choice" }, input,
        el("label", { for: input.id, title: label },
          el("span", { class: "cw-rating-number", "aria-hidden": "true" }, String(value)),
          el("span", { class: "cw-visually-hidden" }, `${value} of 5, ${label}`)));
    });
    const comment = el("textarea", { id: `${this.id}-comment`, class: "cw-input", rows: 2, maxlength: MAX_COMMENT });
    comment.value = previous?.comment ?? "";
    const error = el("p", { class: "cw-error", role: "alert" }, message);
    const submit = el("button", { type: "submit", class: "cw-primary" }, previous ? "Change rating" : "Send rating");
    const form = el("form", {
      class: "cw-rating-form", novalidate: true,
      onsubmit: (e) => {
        e.preventDefault();
        const chosen = form.querySelector("input[type=radio]:checked");
        if (!chosen) {
          error.textContent = "Choose a score from 1 to 5.";
          return;
        }
        this.submit(Number(chosen.value), comment.value.trim(), { submit, error });
      },
    },
    el("fieldset", { class: "cw-rating-scale" },
      el("legend", {}, "Your score (1 = very poor, 5 = excellent)"),
      el("div", { class: "cw-rating-choices" }, radios)),
    el("label", { for: comment.id }, "Comment (optional)"),
    comment,
    error,
    el("div", { class: "cw-actions" }, submit,
      previous ? el("button", { type: "button", class: "cw-secondary", onclick: () => this.renderThanks() }, "Keep my rating") : null));
    this.element.dataset.state = "prompt";
    this.element.replaceChildren(
      el("h3", { id: `${this.id}-title` }, previous ? "Change your rating" : "How did we do?"),
      form);
  }

  async submit(rating, comment, { submit, error }) {
    submit.disabled = true;
    error.textContent = "";
    const body = comment ? { rating, comment } : { rating };
    let result;
    try {
      result = await api("POST", `/api/transcripts/${this.sessionId}/rating`, { token: this.token, body });
    } catch {
      result = { status: 0, body: null };
    }
    submit.disabled = false;
    if (result.status === 200 && result.body?.rating) {
      this.current = result.body.rating;
      this.renderThanks({ focus: true });
      return;
    }
    const code = result.body?.error?.code;
    if (code === "rating_locked") {
      this.locked = true;
      this.renderThanks({ focus: true, note: "Your rating can no longer be changed: ratings are final a few minutes after they are given." });
      return;
    }
    error.textContent = result.body?.error?.message ?? "Your rating could not be sent. Check your connection and try again.";
  }

  renderThanks({ focus = false, note = "" } = {}) {
    const rated = this.current;
    const change = this.locked ? null
      : el("button", { type: "button", class: "cw-link", onclick: () => this.renderPrompt() }, "Change rating");
    this.element.dataset.state = this.locked ? "locked" : "thanks";
    const heading = el("h3", { id: `${this.id}-title`, tabindex: "-1" }, "Thank you for your feedback!");
    this.element.replaceChildren(
      heading,
      rated ? el("p", { class: "cw-rating-summary" }, `You rated this chat ${rated.rating} of 5 (${LABELS[rated.rating - 1]}).`) : null,
      rated?.comment ? el("p", { class: "cw-rating-comment" }, `“${rated.comment}”`) : null,
      note ? el("p", { class: "cw-rating-locked", role: "status" }, note) : null,
      change);
    if (focus) heading.focus();
  }
}
