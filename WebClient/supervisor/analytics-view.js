// The Analytics tab: GET /api/analytics?from=&to=&organization=&product=&agent= drawn with the page's own SVG (no
// library): chats per day (bars), hour of week (heat map), wait / first reply / handle time (p50 to p90 ranges), the
// share converted to tickets, ticket first responses met / missed / pending, CSAT average and distribution, and tables
// per agent, organization and product; a date range; the same figures as CSV (GET /api/analytics.csv, fetched with
// the token and saved as a file). Every chart has a text equivalent (its label and the tables).
import { api, el, replaceChildren } from "../js/dom.js";
import { download, formatBytes } from "./downloads.js";
import { OrganizationFilter } from "./organization-filter.js";
import { formatSpan } from "./transcript-reader.js";

const SVG = "http://www.w3.org/2000/svg";
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** svg("rect", {x: 1}, child...) */
function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null) continue;
    if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

function percent(share) {
  return share === null || share === undefined ? "—" : `${Math.round(share * 1000) / 10}%`;
}

function average(value) {
  return value === null || value === undefined ? "—" : Number(value).toFixed(1);
}

export class AnalyticsView {
  constructor(token) {
    this.token = token;
    const today = new Date();
    const monthAgo = new Date(today.getTime() - 29 * 86_400_000);
    this.from = el("input", { id: "analytics-from", name: "from", type: "date", value: isoDay(monthAgo), required: true });
    this.to = el("input", { id: "analytics-to", name: "to", type: "date", value: isoDay(today), required: true });
    this.organization = new OrganizationFilter(token, { id: "analytics-organization", listId: "analytics-org-options" });
    this.product = el("select", { id: "analytics-product", name: "product" }, el("option", { value: "" }, "Any product"));
    this.agent = el("select", { id: "analytics-agent", name: "agent" }, el("option", { value: "" }, "Any agent"));
    this.status = el("p", { id: "analytics-status", role: "status", class: "muted" });
    this.csvStatus = el("p", { id: "analytics-csv-status", role: "status", class: "muted" });
    this.figures = el("div", { id: "analytics-figures", class: "analytics" });
    this.products = new Map();
    this.generation = 0;
    this.loaded = false;
  }

  render() {
    const field = (id, label, control, ...rest) => el("div", { class: "field" }, el("label", { for: id }, label), control, ...rest);
    const preset = (days, label) => el("button", { type: "button", class: "secondary", dataset: { days },
      onclick: () => { this.setRange(days); this.load(); } }, label);
    return el("section", { class: "card", id: "analytics", "aria-labelledby": "analytics-title" },
      el("h2", { id: "analytics-title" }, "Analytics"),
      el("p", { class: "muted" }, "Chats created in the date range (UTC days, both ends included)."),
      el("form", { class: "filters", id: "analytics-filters", onsubmit: (e) => { e.preventDefault(); this.load(); } },
        field("analytics-from", "From (date)", this.from),
        field("analytics-to", "To (date, inclusive)", this.to),
        field("analytics-organization", "Organization", this.organization.input, this.organization.options),
        field("analytics-product", "Product", this.product),
        field("analytics-agent", "Agent", this.agent),
        el("button", { type: "submit", id: "analytics-show" }, "Show"),
        el("div", { class: "presets", role: "group", "aria-label": "Quick ranges" },
          preset(7, "Last 7 days"), preset(30, "Last 30 days"), preset(90, "Last 90 days")),
        el("button", { type: "button", class: "secondary", id: "analytics-csv", onclick: () => this.downloadCSV() }, "Download CSV")),
      this.status, this.csvStatus, this.figures);
  }

  setRange(days) {
    const today = new Date();
    this.to.value = isoDay(today);
    this.from.value = isoDay(new Date(today.getTime() - (days - 1) * 86_400_000));
  }

  setAgents(agents) {
    const current = this.agent.value;
    replaceChildren(this.agent, el("option", { value: "" }, "Any agent"),
      agents.map((a) => el("option", { value: String(a.id) }, a.name)));
    this.agent.value = current;
  }

  /** The query, or {error} in words. */
  async params() {
    const params = new URLSearchParams();
    if (!this.from.value || !this.to.value) return { error: "Choose both dates of the range." };
    if (this.from.value > this.to.value) return { error: "The range ends before it starts: swap the dates." };
    params.set("from", this.from.value);
    const next = new Date(`${this.to.value}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1); // the API's `to` is exclusive
    params.set("to", isoDay(next));
    const org = await this.organization.resolve();
    if (org.error) return { error: org.error };
    if (org.id) params.set("organization", org.id);
    if (this.product.value) params.set("product", this.product.value);
    if (this.agent.value) params.set("agent", this.agent.value);
    return { params };
  }

  async load() {
    const generation = ++this.generation;
    this.status.textContent = "Loading the figures…";
    const { params, error } = await this.params();
    if (generation !== this.generation) return;
    if (error) {
      this.status.textContent = error;
      return;
    }
    let response;
    try {
      response = await api("GET", `/api/analytics?${params}`, { token: this.token });
    } catch {
      response = null;
    }
    if (generation !== this.generation) return;
    if (!response) {
      this.status.textContent = "The server cannot be reached.";
      return;
    }
    if (response.status !== 200) {
      this.status.textContent = response.body?.error?.message ?? `The figures could not be loaded (${response.status}).`;
      return;
    }
    this.loaded = true;
    const report = response.body;
    this.learnProducts(report.perProduct ?? []);
    this.draw(report);
    this.status.textContent = `${report.chats} chat${report.chats === 1 ? "" : "s"} from ${this.from.value} to ${this.to.value}.`;
    this.status.dataset.chats = report.chats;
  }

  learnProducts(rows) {
    let added = false;
    for (const row of rows) if (!this.products.has(row.key)) { this.products.set(row.key, row.name); added = true; }
    if (!added) return;
    const current = this.product.value;
    replaceChildren(this.product, el("option", { value: "" }, "Any product"),
      [...this.products].map(([key, name]) => el("option", { value: key }, name)));
    this.product.value = current;
  }

  async downloadCSV() {
    this.csvStatus.textContent = "Downloading…";
    const { params, error } = await this.params();
    if (error) {
      this.csvStatus.textContent = error;
      return;
    }
    const name = `analytics-${this.from.value}-${this.to.value}.csv`;
    const result = await download(`/api/analytics.csv?${params}`, this.token, name);
    this.csvStatus.textContent = result.ok ? `Downloaded ${name} (${formatBytes(result.bytes)}).` : result.message;
    if (result.ok) this.csvStatus.dataset.downloaded = name;
  }

  // ---- drawing

  draw(r) {
    const card = (id, title, ...body) => el("figure", { class: "chart", id }, el("figcaption", {}, title), ...body);
    const ticket = r.ticketFirstResponse ?? { met: 0, missed: 0, pending: 0 };
    replaceChildren(this.figures,
      el("dl", { class: "kpis", id: "analytics-kpis" },
        kpi("chats", "Chats", String(r.chats)),
        kpi("ended", "Ended", String(r.ended)),
        kpi("converted", "Converted to tickets", `${r.converted} (${percent(r.convertedShare)} of ended)`),
        kpi("csat-average", "Satisfaction", r.csat?.average == null ? "no ratings" : `${average(r.csat.average)} / 5`)),
      el("div", { class: "chart-grid" },
        card("chart-days", "Chats per day", this.days(r.chatsPerDay ?? [])),
        card("chart-hours", "Chats by hour of week (UTC)", this.heatMap(r.hourOfWeek ?? [])),
        card("chart-times", "Wait, first reply and handle time (p50 to p90)", this.times(r)),
        card("chart-converted", "Share converted to tickets", this.share(r)),
        card("chart-tickets", "Tickets: first response", this.stacked(ticket)),
        card("chart-csat", "Satisfaction ratings", this.csat(r.csat ?? { average: null, distribution: [0, 0, 0, 0, 0] }))),
      this.table("table-agents", "Per agent", "Agent", r.perAgent ?? []),
      this.table("table-organizations", "Per organization", "Organization", r.perOrganization ?? []),
      this.table("table-products", "Per product", "Product", r.perProduct ?? []));
  }

  days(rows) {
    if (!rows.length) return el("p", { class: "muted" }, "No chats in this range.");
    const width = 560, height = 180, pad = 28, max = Math.max(...rows.map((d) => d.chats), 1);
    const step = (width - pad) / rows.length, bar = Math.max(2, Math.min(40, step * 0.7));
    const label = rows.map((d) => `${d.day}: ${d.chats}`).join("; ");
    return svg("svg", { viewBox: `0 0 ${width} ${height + 24}`, role: "img", "aria-label": `Chats per day. ${label}`, class: "bars" },
      svg("line", { x1: pad, y1: height, x2: width, y2: height, class: "axis" }),
      svg("text", { x: pad - 4, y: 12, class: "tick", "text-anchor": "end" }, String(max)),
      svg("text", { x: pad - 4, y: height, class: "tick", "text-anchor": "end" }, "0"),
      rows.map((d, i) => {
        const h = Math.round((d.chats / max) * (height - 16));
        const x = pad + i * step + (step - bar) / 2;
        return svg("g", {},
          svg("rect", { x, y: height - h, width: bar, height: h, class: "bar", dataset: { day: d.day, chats: d.chats } },
            svg("title", {}, `${d.day}: ${d.chats} chat${d.chats === 1 ? "" : "s"}`)),
          svg("text", { x: x + bar / 2, y: height - h - 3, class: "value", "text-anchor": "middle" }, String(d.chats)),
          rows.length <= 16 || i % Math.ceil(rows.length / 8) === 0
            ? svg("text", { x: x + bar / 2, y: height + 16, class: "tick", "text-anchor": "middle" }, d.day.slice(5)) : null);
      }));
  }

  heatMap(rows) {
    const cell = 20, left = 36, top = 16;
    const max = Math.max(1, ...rows.flat());
    const total = rows.flat().reduce((a, b) => a + b, 0);
    return svg("svg", { viewBox: `0 0 ${left + 24 * cell + 4} ${top + 7 * cell + 4}`, role: "img", class: "heat",
      "aria-label": `Chats by hour of week: ${total} in all; the busiest hour has ${total ? max : 0}.` },
      [0, 6, 12, 18].map((h) => svg("text", { x: left + h * cell, y: 11, class: "tick" }, `${h}h`)),
      rows.map((row, day) => [
        svg("text", { x: left - 6, y: top + day * cell + 14, class: "tick", "text-anchor": "end" }, DAYS[day]),
        row.map((count, hour) => svg("rect", {
          x: left + hour * cell, y: top + day * cell, width: cell - 2, height: cell - 2, rx: 3,
          class: count ? "cell" : "cell empty", "fill-opacity": count ? (0.2 + 0.8 * count / max).toFixed(2) : 1,
          dataset: { day, hour, count },
        }, svg("title", {}, `${DAYS[day]} ${hour}:00–${hour + 1}:00: ${count} chat${count === 1 ? "" : "s"}`)))]));
  }

  times(r) {
    const metrics = [["wait", "Wait", r.waitSeconds], ["first-reply", "First reply", r.firstReplySeconds], ["handle", "Handle time", r.handleSeconds]];
    const max = Math.max(1, ...metrics.map(([, , m]) => m?.p90 ?? 0));
    const width = 420, row = 34, left = 90;
    const scale = (v) => left + (v / max) * (width - left - 60);
    const chart = svg("svg", { viewBox: `0 0 ${width} ${metrics.length * row + 8}`, role: "img", class: "ranges",
      "aria-label": metrics.map(([, name, m]) => `${name}: ${m?.count ? `p50 ${formatSpan(m.p50)}, p90 ${formatSpan(m.p90)}` : "no data"}`).join("; ") },
      metrics.map(([key, name, m], i) => {
        const y = i * row + 16;
        const parts = [svg("text", { x: 0, y: y + 4, class: "tick" }, name)];
        if (m?.count) {
          parts.push(
            svg("line", { x1: scale(m.p50), y1: y, x2: Math.max(scale(m.p90), scale(m.p50) + 2), y2: y, class: "range", dataset: { metric: key } }),
            svg("circle", { cx: scale(m.p50), cy: y, r: 5, class: "p50" }, svg("title", {}, `${name} p50: ${formatSpan(m.p50)}`)),
            svg("circle", { cx: scale(m.p90), cy: y, r: 5, class: "p90" }, svg("title", {}, `${name} p90: ${formatSpan(m.p90)}`)),
            svg("text", { x: Math.max(scale(m.p90), scale(m.p50)) + 10, y: y + 4, class: "value" }, formatSpan(m.p90)));
        } else {
          parts.push(svg("text", { x: left, y: y + 4, class: "tick" }, "no data"));
        }
        return svg("g", {}, parts);
      }));
    const table = el("table", { class: "compact", id: "times-table" },
      el("thead", {}, el("tr", {}, ["", "p50", "p90", "mean", "chats"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, metrics.map(([key, name, m]) => el("tr", { dataset: { metric: key } },
        el("th", { scope: "row" }, name),
        el("td", { class: "num p50" }, m?.count ? formatSpan(m.p50) : "—"),
        el("td", { class: "num p90" }, m?.count ? formatSpan(m.p90) : "—"),
        el("td", { class: "num mean" }, m?.count ? formatSpan(m.mean) : "—"),
        el("td", { class: "num count" }, String(m?.count ?? 0))))));
    return [chart, table];
  }

  share(r) {
    const share = r.convertedShare ?? 0;
    const width = 420;
    return [
      svg("svg", { viewBox: `0 0 ${width} 30`, role: "img", "aria-label": `${percent(r.convertedShare)} of ended chats converted` },
        svg("rect", { x: 0, y: 4, width, height: 20, rx: 4, class: "track" }),
        svg("rect", { x: 0, y: 4, width: Math.round(share * width), height: 20, rx: 4, class: "bar", dataset: { share } })),
      el("p", { class: "figure", id: "converted-share" }, `${r.converted} of ${r.ended} ended chats (${percent(r.convertedShare)})`),
    ];
  }

  stacked(t) {
    const total = t.met + t.missed + t.pending;
    const width = 420;
    let x = 0;
    const parts = [["met", "Met", t.met], ["missed", "Missed", t.missed], ["pending", "Pending", t.pending]];
    return [
      svg("svg", { viewBox: `0 0 ${width} 30`, role: "img",
        "aria-label": `Tickets: ${t.met} met, ${t.missed} missed, ${t.pending} pending` },
        svg("rect", { x: 0, y: 4, width, height: 20, rx: 4, class: "track" }),
        total ? parts.map(([key, name, n]) => {
          const w = (n / total) * width;
          const rect = svg("rect", { x, y: 4, width: w, height: 20, class: `seg-${key}`, dataset: { part: key, count: n } },
            svg("title", {}, `${name}: ${n}`));
          x += w;
          return rect;
        }) : null),
      el("ul", { class: "legend", id: "ticket-legend" }, parts.map(([key, name, n]) =>
        el("li", { dataset: { part: key } }, el("span", { class: `swatch seg-${key}`, "aria-hidden": "true" }), `${name}: ${n}`))),
    ];
  }

  csat(c) {
    const dist = c.distribution ?? [0, 0, 0, 0, 0];
    const max = Math.max(1, ...dist);
    const count = dist.reduce((a, b) => a + b, 0);
    const width = 420, row = 22, left = 60;
    return [
      el("p", { class: "figure", id: "csat-summary" }, c.average == null ? "No ratings yet."
        : `Average ${average(c.average)} / 5 from ${count} rating${count === 1 ? "" : "s"}`),
      svg("svg", { viewBox: `0 0 ${width} ${5 * row + 4}`, role: "img",
        "aria-label": `Ratings: ${dist.map((n, i) => `${i + 1} star${i ? "s" : ""}: ${n}`).join(", ")}` },
        dist.map((n, i) => {
          const y = (4 - i) * row;
          const w = Math.round((n / max) * (width - left - 40));
          return svg("g", {},
            svg("text", { x: 0, y: y + 15, class: "tick" }, `${i + 1} ★`),
            svg("rect", { x: left, y: y + 3, width: Math.max(w, n ? 2 : 0), height: row - 6, class: "bar", dataset: { rating: i + 1, count: n } },
              svg("title", {}, `${i + 1}: ${n}`)),
            svg("text", { x: left + w + 6, y: y + 15, class: "value" }, String(n)));
        })),
    ];
  }

  table(id, title, keyLabel, rows) {
    return el("section", { class: "analytics-table", "aria-labelledby": `${id}-title` },
      el("h3", { id: `${id}-title` }, title),
      el("div", { class: "table-wrap" }, el("table", { id },
        el("thead", {}, el("tr", {}, [keyLabel, "Chats", "Converted", "Mean wait", "Mean handle", "CSAT", "Ratings"]
          .map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, rows.length ? rows.map((row) => el("tr", { dataset: { key: row.key } },
          el("th", { scope: "row", title: row.key }, row.name ?? row.key),
          el("td", { class: "num chats" }, String(row.chats)),
          el("td", { class: "num converted" }, String(row.converted)),
          el("td", { class: "num" }, formatSpan(row.meanWaitSeconds) ?? "—"),
          el("td", { class: "num" }, formatSpan(row.meanHandleSeconds) ?? "—"),
          el("td", { class: "num csat" }, average(row.csatAverage)),
          el("td", { class: "num" }, String(row.csatCount))))
          : el("tr", {}, el("td", { colspan: 7, class: "muted" }, "No chats."))))));
  }
}

function kpi(key, label, value) {
  return el("div", { class: "kpi", dataset: { kpi: key } }, el("dt", {}, label), el("dd", {}, value));
}
