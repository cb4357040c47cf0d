// The transcript archive: filters (organization by name, agent, dates, outcome), results newest first with the
// total, more rows loaded as one scrolls (keyset paging: GET /api/transcripts?cursor=), a Refresh button and the
// CSV export of every row of the filter (GET /api/transcripts/export.csv, streamed by the server).
// With words in the search box the same filters go to GET /api/search instead: one row per matching chat with the
// snippet around the newest hit (parts {text, hit}, shown as text with the hits marked), paged with before=nextCursor;
// Read opens the reader at that hit.
import { api, el, formatDateTime, replaceChildren } from "../js/dom.js";
import { download, formatBytes } from "./downloads.js";
import { OrganizationFilter } from "./organization-filter.js";

const PAGE = 50;

/** What became of a chat, in words. */
export function outcome(session) {
  if (session.ticketNumber) return `Converted to ticket #${session.ticketNumber}`;
  if (session.state === "closed") return "Closed";
  return session.state === "queued" ? "Queued" : "Open";
}

export class TranscriptList {
  /** onRead(id): open a transcript in the reader. */
  /** names: organization names (search results carry ids only). */
  constructor(token, onRead, onRows = () => {}, names = null) {
    this.token = token;
    this.names = names;
    this.onRead = onRead;
    this.onRows = onRows;
    this.filterText = el("input", { id: "filter-text", name: "q", type: "search", autocomplete: "off", maxlength: "200",
      placeholder: "Words said, brul*, \"a phrase\"", "aria-describedby": "filter-text-help" });
    this.organization = new OrganizationFilter(token);
    this.filterAgent = el("select", { id: "filter-agent", name: "agent" }, el("option", { value: "" }, "Any agent"));
    this.filterFrom = el("input", { id: "filter-from", name: "from", type: "date" });
    this.filterTo = el("input", { id: "filter-to", name: "to", type: "date" });
    this.filterOutcome = el("select", { id: "filter-outcome", name: "outcome" },
      el("option", { value: "" }, "Any outcome"), el("option", { value: "open" }, "Open"),
      el("option", { value: "closed" }, "Closed in the chat"), el("option", { value: "converted" }, "Converted to a ticket"));
    this.status = el("p", { id: "transcripts-status", role: "status", class: "muted" });
    this.exportStatus = el("p", { id: "export-status", role: "status", class: "muted" });
    this.body = el("tbody", { id: "transcript-rows" });
    this.more = el("button", { type: "button", class: "secondary", id: "load-more", hidden: true, onclick: () => this.loadMore() },
      "Load more");
    this.sentinel = el("div", { class: "sentinel", "aria-hidden": "true" });
    this.rows = [];
    this.cursor = null;
    this.total = 0;
    this.totalExact = true;
    this.mode = "list";
    this.words = "";
    this.query = "";
    this.loading = false;
    this.generation = 0;
  }

  render(table) {
    const field = (id, label, control, ...rest) => el("div", { class: "field" }, el("label", { for: id }, label), control, ...rest);
    const section = el("section", { class: "card", "aria-labelledby": "transcripts-title" },
      el("h2", { id: "transcripts-title" }, "Transcripts"),
      el("form", { class: "filters", id: "transcript-filters", onsubmit: (e) => { e.preventDefault(); this.search(); } },
        field("filter-text", "Search what was said", this.filterText,
          el("span", { id: "filter-text-help", class: "visually-hidden" },
            "Every word must match; a word ending in * matches as a prefix; words in double quotes match as a phrase.")),
        field("filter-organization", "Organization", this.organization.input, this.organization.options),
        field("filter-agent", "Agent", this.filterAgent),
        field("filter-from", "From (date)", this.filterFrom),
        field("filter-to", "To (date, inclusive)", this.filterTo),
        field("filter-outcome", "Outcome", this.filterOutcome),
        el("button", { type: "submit", id: "search-transcripts" }, "Search"),
        el("button", { type: "button", class: "secondary", id: "refresh-transcripts", onclick: () => this.refresh() }, "Refresh"),
        el("button", { type: "button", class: "secondary", id: "export-csv", onclick: () => this.exportCSV() }, "Export CSV")),
      this.status, this.exportStatus,
      table("Transcripts found", ["Chat", "Started", "Organization", "Customer", "Agent", "Subject", "Outcome", "Messages", ""],
        this.body, "transcripts-table"),
      this.more, this.sentinel);
    // More rows as the end of the list scrolls into view (the button does the same for keyboards).
    if ("IntersectionObserver" in window) {
      new IntersectionObserver((entries) => {
        if (entries.some((e) => e.isIntersecting) && this.cursor !== null && !this.loading) this.loadMore();
      }, { rootMargin: "200px" }).observe(this.sentinel);
    }
    return section;
  }

  setAgents(agents) {
    const current = this.filterAgent.value;
    replaceChildren(this.filterAgent, el("option", { value: "" }, "Any agent"),
      agents.map((a) => el("option", { value: String(a.id) }, a.name)));
    this.filterAgent.value = current;
  }

  /** The filter as query parameters, or {error}. */
  async params() {
    const params = new URLSearchParams();
    const org = await this.organization.resolve();
    if (org.error) return { error: org.error };
    if (org.id) params.set("organization", org.id);
    if (this.filterAgent.value) params.set("agent", this.filterAgent.value);
    if (this.filterFrom.value) params.set("from", this.filterFrom.value);
    if (this.filterTo.value) {
      // The API's `to` is exclusive; the form's date is inclusive.
      const next = new Date(`${this.filterTo.value}T00:00:00Z`);
      next.setUTCDate(next.getUTCDate() + 1);
      params.set("to", next.toISOString().slice(0, 10));
    }
    if (this.filterOutcome.value) params.set("outcome", this.filterOutcome.value);
    return { params };
  }

  async search() {
    const generation = ++this.generation;
    this.status.textContent = "Searching…";
    const { params, error } = await this.params();
    if (generation !== this.generation) return;
    if (error) {
      this.status.textContent = error;
      this.rows = [];
      this.cursor = null;
      this.more.hidden = true;
      replaceChildren(this.body);
      return;
    }
    const words = this.filterText.value.trim();
    this.mode = words ? "search" : "list";
    this.words = words;
    if (words) params.set("q", words);
    this.query = params.toString();
    this.rows = [];
    this.cursor = null;
    await this.fetchPage(generation, true);
  }

  /** The same filter again, from the newest (new chats appear, closed ones change outcome). */
  refresh() {
    return this.search();
  }

  async loadMore() {
    if (this.cursor === null || this.loading) return;
    await this.fetchPage(this.generation, false);
  }

  async fetchPage(generation, first) {
    this.loading = true;
    const params = new URLSearchParams(this.query);
    params.set("limit", String(PAGE));
    const searching = this.mode === "search";
    if (!first && this.cursor) params.set(searching ? "before" : "cursor", String(this.cursor));
    let response;
    try {
      response = await api("GET", `${searching ? "/api/search" : "/api/transcripts"}?${params}`, { token: this.token });
    } catch {
      response = null;
    }
    this.loading = false;
    if (generation !== this.generation) return;
    if (!response) {
      this.status.textContent = "The server cannot be reached.";
      return;
    }
    if (response.status !== 200) {
      // The server's own sentence (e.g. a query without a letter or digit).
      this.status.textContent = response.body?.error?.message ?? `Search failed (${response.status}).`;
      if (first) {
        this.more.hidden = true;
        replaceChildren(this.body);
      }
      return;
    }
    const page = (searching ? response.body.results : response.body.transcripts) ?? [];
    if (searching && this.names) {
      await this.names.want(page.map((t) => t.organizationId));
      if (generation !== this.generation) return;
      for (const t of page) if (this.names.names.has(t.organizationId)) t.organizationName ??= this.names.name(t.organizationId);
    }
    this.rows.push(...page);
    this.onRows(page);
    this.cursor = response.body.nextCursor ?? null;
    // The total comes with the first page (cursor pages do not count again); chats that arrive later show on Refresh.
    if (first) {
      this.total = response.body.total ?? this.rows.length;
      this.totalExact = response.body.totalExact !== false;
    }
    this.total = Math.max(this.total, this.rows.length);
    this.more.hidden = this.cursor === null;
    const shown = this.rows.length;
    if (searching) {
      // A query matching very many messages stops counting early: "N+".
      const total = `${this.total}${this.totalExact ? "" : "+"}`;
      this.status.textContent = shown === this.total && this.totalExact
        ? `${shown} chat${shown === 1 ? "" : "s"} match “${this.words}”.`
        : `Showing ${shown} of ${total} chats that match “${this.words}”.`;
      this.status.dataset.total = total;
    } else {
      this.status.textContent = shown === this.total
        ? `${shown} transcript${shown === 1 ? "" : "s"} found.`
        : `Showing ${shown} of ${this.total} transcripts found.`;
      delete this.status.dataset.total;
    }
    const rows = page.flatMap((t) => searching ? this.searchRows(t) : [this.row(t)]);
    if (first) replaceChildren(this.body, rows);
    else this.body.append(...rows);
  }

  /** A search result: the chat's row, and under it the snippet of its newest hit (hit words in <mark>, as text). */
  searchRows(t) {
    const seq = t.hit?.seq ?? 0;
    const row = this.row(t, seq);
    row.classList.add("result");
    const parts = t.hit?.snippet ?? [];
    const snippet = el("tr", { class: "snippet-row", dataset: { snippetFor: t.id } },
      el("td", { colspan: 9 },
        el("span", { class: "muted" }, seq > 0 ? `Said at event #${seq}: ` : "Matched the subject, customer or organization: "),
        el("q", { class: "snippet" }, parts.map((p) => p.hit ? el("mark", {}, p.text) : p.text))));
    return [row, snippet];
  }

  row(t, hitSeq = 0) {
    return el("tr", { dataset: { sessionId: t.id } },
      el("td", {}, String(t.id)),
      el("td", {}, formatDateTime(t.createdAt)),
      el("td", { class: "organization", title: t.organizationId }, t.organizationName ?? t.organizationId),
      el("td", {}, t.customer?.name ?? ""),
      el("td", {}, t.agent?.name ?? "—"),
      el("td", {}, t.subject),
      el("td", { class: "outcome" }, outcome(t)),
      el("td", { class: "num" }, String(t.messageCount ?? "")),
      el("td", {}, el("button", {
        type: "button", class: "secondary read-transcript",
        "aria-label": hitSeq > 0 ? `Read chat ${t.id} at the match` : `Read transcript of chat ${t.id}`,
        onclick: () => this.onRead(t.id, hitSeq),
      }, "Read")));
  }

  async exportCSV() {
    this.exportStatus.textContent = "Exporting…";
    const { params, error } = await this.params();
    if (error) {
      this.exportStatus.textContent = error;
      return;
    }
    const result = await download(`/api/transcripts/export.csv?${params}`, this.token, "transcripts.csv");
    // The list export takes the filters; it has no full-text search, so say when the words are left out.
    const words = this.filterText.value.trim() ? " It lists every chat of the filters: the search words do not apply to the CSV." : "";
    this.exportStatus.textContent = result.ok ? `Exported transcripts.csv (${formatBytes(result.bytes)}).${words}` : result.message;
    if (result.ok) this.exportStatus.dataset.exported = "transcripts.csv";
  }
}
