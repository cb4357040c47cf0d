// Staff sign-in shared by the agent console and the supervisor view: the login form, the session token, and logout.
// Both pages keep the login under one localStorage key, so a supervisor signed in on /supervisor/ is signed in on
// /console/ too (and in other tabs) until logout or the token's expiry; logging out ends it everywhere (the server
// closes every WebSocket using the token with 4401).
import { api, el, replaceChildren } from "../js/dom.js";

/** The storage key of the staff login, shared by the console and the supervisor view. */
export const STAFF_AUTH_KEY = "chatd.staff.auth";

/** The stored login ({token, role, staff, expiresAt}) or null. */
export function loadAuth(key = STAFF_AUTH_KEY) {
  try {
    const auth = JSON.parse(localStorage.getItem(key) ?? "null");
    if (!auth?.token) return null;
    if (auth.expiresAt && Date.parse(auth.expiresAt) <= Date.now()) return null;
    return auth;
  } catch {
    return null;
  }
}

export function saveAuth(key, auth) {
  localStorage.setItem(key, JSON.stringify(auth));
}

/** Forgets the stored login; with `token`, only if it is still that login (another tab may have logged in since). */
export function clearAuth(key, token = null) {
  if (token) {
    try {
      if (JSON.parse(localStorage.getItem(key) ?? "null")?.token !== token) return;
    } catch {
      /* unreadable: remove it */
    }
  }
  localStorage.removeItem(key);
}

/** Ends the staff session on the server (best effort: the local session is forgotten either way). */
export async function logout(key, token) {
  clearAuth(key, token);
  try {
    await api("POST", "/api/logout", { token });
  } catch {
    /* offline: the token expires on its own */
  }
}

/**
 * Renders the login form into `container`. Calls onLoggedIn(auth) after a successful login with an allowed role.
 * `notice` is a sentence shown above the form (e.g. "Your session ended").
 */
export function renderLogin(container, { title, storageKey, roles, notice = "", onLoggedIn }) {
  const error = el("p", { class: "error-text", id: "login-error", role: "alert" });
  const username = el("input", { id: "login-username", name: "username", autocomplete: "username", required: true });
  const password = el("input", {
    id: "login-password", name: "password", type: "password", autocomplete: "current-password", required: true,
  });
  const submit = el("button", { type: "submit", id: "login-submit" }, "Log in");
  const form = el("form", { class: "login", "aria-labelledby": "login-title", novalidate: true },
    el("h1", { id: "login-title" }, title),
    notice ? el("p", { class: "notice", role: "status" }, notice) : null,
    el("div", { class: "field" }, el("label", { for: "login-username" }, "Username"), username),
    el("div", { class: "field" }, el("label", { for: "login-password" }, "Password"), password),
    error,
    submit);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    if (!username.value.trim() || !password.value) {
      error.textContent = "Enter your username and password.";
      return;
    }
    submit.disabled = true;
    try {
      const { status, body } = await api("POST", "/api/login", {
        body: { username: username.value.trim(), password: password.value },
      });
      if (status !== 200 || !body?.token) {
        error.textContent = body?.error?.message ?? "Login failed.";
        return;
      }
      if (!roles.includes(body.role)) {
        await api("POST", "/api/logout", { token: body.token });
        error.textContent = `This page is for ${roles.join(" or ")} accounts; you are signed in as ${body.role}.`;
        return;
      }
      const auth = { token: body.token, role: body.role, staff: body.staff, expiresAt: body.expiresAt };
      saveAuth(storageKey, auth);
      window.removeEventListener("storage", otherTab);
      onLoggedIn(auth);
    } catch {
      error.textContent = "The server cannot be reached. Try again.";
    } finally {
      submit.disabled = false;
    }
  });
  // Signed in meanwhile in another tab (with a role this page accepts): use that login.
  const otherTab = (e) => {
    if (e.key !== storageKey || !container.contains(form)) return;
    const auth = loadAuth(storageKey);
    if (!auth || !roles.includes(auth.role)) return;
    window.removeEventListener("storage", otherTab);
    onLoggedIn(auth);
  };
  window.addEventListener("storage", otherTab);
  replaceChildren(container, el("main", { id: "main" }, form));
  username.focus();
}
