// The Audit tab: who read, listed or exported which transcripts, when and from where (GET /api/audit, newest
// first, more on scroll), filtered by staff member, action and dates. Supervisors only (the server enforces it).
import { api, el, formatDateTime, replaceChildren } from "../js/dom.js";

const ACTIONS = [
  ["transcript_read", "Read a transcript"], ["transcript_list", "Listed transcripts"], ["transcript_search", "Searched transcripts"],
  ["transcript_export", "Exported a transcript"], ["list_export", "Exported a list (CSV)"], ["audit_read", "Read the audit"],
];
const ACTION_TEXT = Object.fromEntries(ACTIONS);

export class AuditView {
  constructor(token, me) {
    this.token = token;
    this.me = me;
    this.filterStaff = el("select", { id: "audit-staff", name: "staff" }, el("option", { value: "" }, "Anyone"));
    this.filterAction = el("select", { id: "audit-action", name: "action" }, el("option", { value: "" }, "Any action"),
      ACTIONS.map(([value, label]) => el("option", { value }, label)));
    this.filterFrom = el("input", { id: "audit-from", name: "from", type: "date" });
    this.filterTo = el("input", { id: "audit-to", name: "to", type: "date" });
    this.status = el("p", { id: "audit-status", role: "status", class: "muted" });
    this.body = el("tbody", { id: "audit-rows" });
    this.more = el("button", { type: "button", class: "secondary", id: "audit-more", hidden: true, onclick: () => this.load(false) },
      "Load older entries");
    this.before = null;
    this.generation = 0;
    this.staff = new Map([[me.id, me.name]]);
  }

  render(table) {
    const field = (id, label, control) => el("div", { class: "field" }, el("label", { for: id }, label), control);
    this.renderStaff();
    return el("section", { class: "card", id: "audit", "aria-labelledby": "audit-title" },
      el("h2", { id: "audit-title" }, "Audit log"),
      el("p", { class: "muted" }, "Every transcript read, listing and export by staff, newest first."),
      el("form", { class: "filters", id: "audit-filters", onsubmit: (e) => { e.preventDefault(); this.load(true); } },
        field("audit-staff", "Staff member", this.filterStaff),
        field("audit-action", "Action", this.filterAction),
        field("audit-from", "From (date)", this.filterFrom),
        field("audit-to", "To (date, inclusive)", this.filterTo),
        el("button", { type: "submit", id: "audit-search" }, "Show")),
      this.status,
      table("Audit entries", ["When", "Staff", "Action", "Chat", "Detail", "Address"], this.body, "audit-table"),
      this.more);
  }

  /** Staff to filter by: the agents the board knows, and whoever appears in the log. */
  setAgents(agents) {
    for (const a of agents) this.staff.set(a.id, a.name);
    this.renderStaff();
  }

  renderStaff() {
    const current = this.filterStaff.value;
    replaceChildren(this.filterStaff, el("option", { value: "" }, "Anyone"),
      [...this.staff].sort((a, b) => a[1].localeCompare(b[1])).map(([id, name]) => el("option", { value: String(id) }, name)));
    this.filterStaff.value = current;
  }

  query() {
    const params = new URLSearchParams();
    if (this.filterStaff.value) params.set("staff", this.filterStaff.value);
    if (this.filterAction.value) params.set("action", this.filterAction.value);
    if (this.filterFrom.value) params.set("from", this.filterFrom.value);
    if (this.filterTo.value) {
      const next = new Date(`${this.filterTo.value}T00:00:00Z`);
      next.setUTCDate(next.getUTCDate() + 1);
      params.set("to", next.toISOString().slice(0, 10));
    }
    params.set("limit", "100");
    return params;
  }

  async load(first) {
    const generation = first ? ++this.generation : this.generation;
    if (first) {
      this.before = null;
      this.status.textContent = "Loading…";
    }
    const params = this.query();
    if (!first && this.before) params.set("before", String(this.before));
    const { status, body } = await api("GET", `/api/audit?${params}`, { token: this.token });
    if (generation !== this.generation) return;
    if (status !== 200) {
      this.status.textContent = body?.error?.message ?? `Could not load the audit log (${status}).`;
      return;
    }
    const entries = body.entries ?? [];
    let added = false;
    for (const e of entries) if (!this.staff.has(e.staff.id)) { this.staff.set(e.staff.id, e.staff.name); added = true; }
    if (added) this.renderStaff();
    this.before = body.nextBefore ?? null;
    this.more.hidden = this.before === null;
    const rows = entries.map((e) => el("tr", { dataset: { auditId: e.id, action: e.action } },
      el("td", {}, formatDateTime(e.at)),
      el("td", { class: "staff" }, `${e.staff.name} (${e.staff.role})`),
      el("td", { class: "action" }, ACTION_TEXT[e.action] ?? e.action),
      el("td", { class: "target" }, e.target ?? "—"),
      el("td", { class: "detail" }, e.detail ?? ""),
      el("td", {}, e.address || "—")));
    if (first) replaceChildren(this.body, rows.length ? rows : el("tr", {}, el("td", { colspan: 6, class: "muted" }, "No entries.")));
    else this.body.append(...rows);
    const shown = this.body.querySelectorAll("tr[data-audit-id]").length;
    this.status.textContent = `${shown} entr${shown === 1 ? "y" : "ies"} shown${this.before ? "; older entries follow" : ""}.`;
  }
}
