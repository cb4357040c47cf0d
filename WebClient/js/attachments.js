// Attachments in the widget and the agent console: an attach button, paste-to-attach for images, and the
// `attachment` event rendered as an inline image (thumbnail-sized by CSS, click opens it full size) or a download
// link with name and size. Downloads need the bearer token, so files are fetched and shown through object URLs.
// docs/PROTOCOL.md §Attachments.
import { el } from "./dom.js";

/** Human size: 512 B, 12.3 KB, 4.5 MB. */
export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const REFUSALS = {
  payload_too_large: "That file is too large to attach.",
  unsupported_attachment: "Only images (PNG, JPEG, GIF, WebP), PDF files and text logs can be attached.",
  session_closed: "This chat has ended.",
  not_your_session: "You can't attach files to this chat.",
};

/** Uploads one file into chat `sessionId`; resolves to { ok, status, body, message }. */
export async function uploadAttachment(sessionId, file, token, name = file.name) {
  const path = `/api/transcripts/${encodeURIComponent(sessionId)}/attachments?name=${encodeURIComponent(name || "attachment")}`;
  let response;
  try {
    response = await fetch(path, { method: "POST", headers: { Authorization: `Bearer ${token}` }, body: file });
  } catch {
    return { ok: false, status: 0, body: null, message: "The file could not be sent; check your connection." };
  }
  let body = null;
  try { body = await response.json(); } catch { body = null; }
  const code = body?.error?.code;
  return { ok: response.status === 201, status: response.status, body,
    message: response.status === 201 ? "" : (REFUSALS[code] ?? body?.error?.message ?? "The file could not be attached.") };
}

/**
 * Adds an attach button (and a hidden file picker) to `composer`, before `before`, and paste-to-attach for
 * images on `input`. `context()` returns { sessionId, token } or null when attaching is not possible now;
 * progress and refusals show in a status line at the end of the composer. Returns { button, setEnabled(bool) }.
 */
export function installAttachControls({ composer, input, before = null, context, buttonClass = "" }) {
  const status = el("p", { class: "attach-status", role: "status" });
  const onStatus = (text) => { status.textContent = text; };
  const picker = el("input", { type: "file", hidden: true, tabindex: "-1", "aria-label": "Attach a file", accept: "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,.log,.txt" });
  const button = el("button", { type: "button", class: `attach ${buttonClass}`.trim(), title: "Attach a file", "aria-label": "Attach a file" }, "Attach");
  button.addEventListener("click", () => picker.click());
  picker.addEventListener("change", () => {
    for (const file of picker.files) send(file, file.name);
    picker.value = "";
  });
  input.addEventListener("paste", (e) => {
    const files = [...(e.clipboardData?.items ?? [])].filter((item) => item.kind === "file" && item.type.startsWith("image/"))
      .map((item) => item.getAsFile()).filter(Boolean);
    if (!files.length) return;
    e.preventDefault();
    for (const file of files) {
      const extension = file.type.split("/")[1] === "jpeg" ? "jpg" : file.type.split("/")[1];
      send(file, file.name && file.name !== "image.png" ? file.name : `pasted-${new Date().toISOString().slice(0, 19).replaceAll(":", "-")}.${extension}`);
    }
  });
  async function send(file, name) {
    const ctx = context();
    if (!ctx) return;
    onStatus?.(`Sending ${name}…`);
    const result = await uploadAttachment(ctx.sessionId, file, ctx.token, name);
    onStatus?.(result.ok ? "" : result.message);
  }
  composer.insertBefore(picker, before);
  composer.insertBefore(button, before);
  composer.append(status);
  return { button, setEnabled(enabled) { button.disabled = !enabled; } };
}

/** The body of an `attachment` event: an image (loaded with the token) or a download link with name and size. */
export function attachmentBody(event, token) {
  const file = event.attachment ?? {};
  const label = `${file.name ?? "attachment"} (${formatSize(file.size ?? 0)})`;
  if ((file.type ?? "").startsWith("image/")) {
    const img = el("img", { class: "attachment-image", alt: file.name ?? "image", title: label,
      ...(file.width && file.height ? { width: String(file.width), height: String(file.height) } : {}) });
    const link = el("a", { class: "attachment-link attachment-image-link", href: "#", title: label }, img);
    fetchObjectURL(file.url, token).then((url) => {
      if (!url) { link.replaceChildren(label); return; }
      img.src = url;
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener";
    });
    return el("figure", { class: "attachment", dataset: { attachmentId: file.id ?? "" } }, link,
      el("figcaption", { class: "attachment-caption" }, label));
  }
  const link = el("a", { class: "attachment-link attachment-file", href: "#", download: file.name ?? "attachment" }, label);
  link.addEventListener("click", async (e) => {
    if (link.dataset.ready) return;
    e.preventDefault();
    const url = await fetchObjectURL(file.url, token);
    if (!url) return;
    link.href = url;
    link.dataset.ready = "1";
    link.click();
  });
  return el("div", { class: "attachment", dataset: { attachmentId: file.id ?? "" } }, link);
}

async function fetchObjectURL(url, token) {
  if (!url) return null;
  try {
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    if (!response.ok) return null;
    return URL.createObjectURL(await response.blob());
  } catch {
    return null;
  }
}

/** A message item (built by the view like any message) with its text replaced by the attachment. */
export function withAttachment(item, event, token, textSelector) {
  const text = item.querySelector(textSelector);
  if (text) text.replaceWith(attachmentBody(event, token));
  else item.append(attachmentBody(event, token));
  item.classList.add("has-attachment");
  return item;
}
