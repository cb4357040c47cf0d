// The "Transfer" control of one chat: lists only the agents a chat may go to (connected, Available, under the
// per-agent cap, not oneself), refreshed on every `agents` frame, and never keeps a stale choice: when the chosen
// agent stops qualifying, the choice is cleared, the Transfer button disabled, and the reason said in words.
import { el, replaceChildren } from "../js/dom.js";

/** The agents a chat may be transferred to, from an `agents` frame. `cap`: the staff welcome's agentSessionCap. */
export function transferTargets(agents, meId, cap = Infinity) {
  return (agents ?? []).filter((a) => Number(a.id) !== Number(meId) && a.connected && a.status === "available"
    && (a.activeSessions?.length ?? 0) < cap);
}

export class TransferControl {
  /** @param {number} id the chat's session id; onTransfer(toAgentId) sends the transfer. */
  constructor(id, onTransfer) {
    this.select = el("select", { id: `transfer-${id}`, name: "toAgent", onchange: () => this.update() });
    this.button = el("button", { type: "submit", class: "transfer-submit", disabled: true }, "Transfer");
    this.hint = el("p", { class: "muted transfer-hint", id: `transfer-hint-${id}`, role: "status" });
    this.enabled = false;
    this.names = new Map();
    this.element = el("details", { class: "transfer" },
      el("summary", {}, "Transfer"),
      el("form", { onsubmit: (e) => { e.preventDefault(); if (this.select.value) onTransfer(Number(this.select.value)); } },
        el("div", { class: "field" }, el("label", { for: `transfer-${id}` }, "To agent"), this.select),
        this.hint,
        this.button));
  }

  /** Rebuilds the list; `enabled`: whether this agent may transfer the chat now. */
  render({ agents, meId, cap, enabled }) {
    this.enabled = enabled;
    const chosen = this.select.value;
    const targets = transferTargets(agents, meId, cap);
    const capText = Number.isFinite(cap) ? ` of ${cap}` : "";
    replaceChildren(this.select,
      el("option", { value: "" }, targets.length ? "Choose an agent…" : "No other agent is available now"),
      targets.map((a) => el("option", { value: String(a.id) }, `${a.name} (${a.activeSessions?.length ?? 0}${capText} chats)`)));
    if (chosen && targets.some((a) => String(a.id) === chosen)) {
      this.select.value = chosen;
    } else {
      this.select.value = "";
      if (chosen) this.hint.textContent = `${this.names.get(chosen) ?? "That agent"} can no longer take transfers. Choose another agent.`;
    }
    this.names = new Map(targets.map((a) => [String(a.id), a.name]));
    this.update();
  }

  update() {
    this.select.disabled = !this.enabled;
    this.button.disabled = !this.enabled || !this.select.value;
    if (this.select.value) this.hint.textContent = "";
  }
}
