// Authenticated downloads: the export routes need the bearer token, which a plain link cannot send, so the page
// fetches the body and hands it to the browser as a file.

/** Fetches `path` with the token and saves it as `filename`; resolves {ok, bytes, message}. */
export async function download(path, token, filename) {
  let response;
  try {
    response = await fetch(path, { headers: { Authorization: `Bearer ${token}` } });
  } catch {
    return { ok: false, message: "The server cannot be reached." };
  }
  if (response.status !== 200) {
    let message = `Export failed (${response.status}).`;
    try { message = (await response.json()).error?.message ?? message; } catch { /* not JSON */ }
    return { ok: false, message };
  }
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return { ok: true, bytes: blob.size };
}

/** 1536 -> "1.5 KB". */
export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
