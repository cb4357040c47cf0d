// Print view of one transcript: fetches the server's print-ready HTML export (GET /api/transcripts/{id}/export
// ?format=html, with the staff token this browser holds) and shows its document here, styled by
// css/transcript-print.css, then opens the browser's print dialog (?print=0 skips it).
import { loadAuth, STAFF_AUTH_KEY } from "../console/staff-auth.js";

const status = document.getElementById("print-status");
const params = new URLSearchParams(location.search);
const id = params.get("id");
const auth = loadAuth(STAFF_AUTH_KEY);

async function show() {
  if (!id || !/^\d+$/.test(id)) { status.textContent = "No transcript was chosen."; return; }
  if (!auth) { status.textContent = "Log in to the supervisor view first."; return; }
  const response = await fetch(`/api/transcripts/${id}/export?format=html`, { headers: { Authorization: `Bearer ${auth.token}` } });
  if (response.status !== 200) {
    let message = `Could not load the transcript (${response.status}).`;
    try { message = (await response.json()).error?.message ?? message; } catch { /* not JSON */ }
    status.textContent = message;
    return;
  }
  // The export is inert markup (no scripts; text escaped by the server); parsed, not executed.
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  document.title = doc.title;
  const main = doc.querySelector("main");
  status.remove();
  document.body.append(document.adoptNode(main));
  document.body.dataset.loaded = "true";
  if (params.get("print") !== "0") window.print();
}

show();
