// Organization names for the board: the `queue` and `session` frames carry organization ids only. Names are
// looked up once per id (GET /api/organizations?prefix=<id>) or learned from transcript listings, and cached.
import { api } from "../js/dom.js";

export class OrganizationNames {
  constructor(token, onLearned = () => {}) {
    this.token = token;
    this.onLearned = onLearned;
    this.names = new Map();
    /** id -> the lookup's promise */
    this.asked = new Map();
  }

  /** The name, or the id until the name is known. */
  name(id) {
    return this.names.get(id) ?? id ?? "";
  }

  learn(id, name) {
    if (!id || !name || this.names.get(id) === name) return;
    this.names.set(id, name);
    this.onLearned();
  }

  /** Looks up the ids not known yet (each at most once per page); resolves when those lookups are done. */
  want(ids) {
    const lookups = [];
    for (const id of new Set(ids)) {
      if (!id || this.names.has(id)) continue;
      if (!this.asked.has(id)) this.asked.set(id, this.lookUp(id));
      lookups.push(this.asked.get(id));
    }
    return Promise.all(lookups);
  }

  async lookUp(id) {
    let response;
    try {
      response = await api("GET", `/api/organizations?prefix=${encodeURIComponent(id)}&limit=50`, { token: this.token });
    } catch {
      this.asked.delete(id); // try again on a later frame
      return;
    }
    if (response.status !== 200) return;
    const match = (response.body.organizations ?? []).find((o) => o.id === id);
    if (match) this.learn(id, match.name);
  }
}
