// The transcript filter's organization field: people type a name ("Acme"), the page suggests matching
// organizations (GET /api/organizations?prefix=) and sends the id the listing needs.
import { api, el, replaceChildren } from "../js/dom.js";

export class OrganizationFilter {
  constructor(token, { id = "filter-organization", listId = "org-options" } = {}) {
    this.token = token;
    this.input = el("input", { id, name: "organization", list: listId, autocomplete: "off",
      placeholder: "Name, e.g. Acme" });
    this.options = el("datalist", { id: listId });
    this.input.addEventListener("input", () => this.suggestSoon());
    this.timer = null;
  }

  suggestSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.suggest(this.input.value.trim()), 150);
  }

  async lookUp(prefix) {
    const { status, body } = await api("GET", `/api/organizations?prefix=${encodeURIComponent(prefix)}&limit=10`, { token: this.token });
    return status === 200 ? body.organizations ?? [] : [];
  }

  async suggest(prefix) {
    const found = await this.lookUp(prefix);
    if (this.input.value.trim() !== prefix) return; // typed on meanwhile
    replaceChildren(this.options, found.map((o) => el("option", { value: o.name }, `${o.name} (${o.id})`)));
  }

  /** The organization id the field names: {id} (null when empty), or {error} in words. */
  async resolve() {
    const text = this.input.value.trim();
    if (!text) return { id: null };
    const found = await this.lookUp(text);
    const lower = text.toLowerCase();
    const exact = found.filter((o) => o.name.toLowerCase() === lower || o.id.toLowerCase() === lower);
    if (exact.length === 1) return { id: exact[0].id, name: exact[0].name };
    if (found.length === 1) return { id: found[0].id, name: found[0].name };
    if (found.length === 0) return { error: `No organization is named “${text}”.` };
    return { error: `Several organizations start with “${text}”: choose one from the suggestions.` };
  }
}
