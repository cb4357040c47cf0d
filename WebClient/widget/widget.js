// chatd customer widget: the one file a host page includes.
//
// Embedding (pick one):
//
// 1. One script tag with the token signed by the host admin panel:
//      <script type="module" src="/widget/widget.js" data-token="eyJ..." data-product="pressero"></script>
//
// 2. One script tag, token taken from the page URL's query parameter (the demo page uses this:
//    /demo/?token=eyJ...):
//      <script type="module" src="/widget/widget.js" data-token-query="token" data-product="pressero"></script>
//
// 3. One script tag without a token, handed over later (e.g. after the host page fetched it from its backend):
//      <script type="module" src="/widget/widget.js" data-product="pressero"></script>
//      ...
//      window.ChatWidget.setToken("eyJ...");                                  // a function call, or
//      window.postMessage({ type: "chatd:token", token: "eyJ..." }, location.origin);  // a same-origin message
//    Until a token arrives the launcher is shown and the panel says chat is available once signed in.
//
// 4. Programmatic, without the auto-mount (data-manual on the tag, or import the module):
//      import { mount } from "/widget/widget.js";
//      const widget = mount({ token, product: "pressero", container: document.body });
//
// Attributes: data-token, data-token-query (name of the query parameter), data-product (preselected product id),
// data-manual (do not mount automatically). The stylesheet /css/widget.css is added to the page automatically.
// Chat state lives in sessionStorage: a reload keeps the conversation; closing the tab ends the local state
// (the chat itself continues on the server and is shown again after the next hello).
import { ChatWidget } from "./chat-widget.js";

let mounted = null;
const queuedTokens = [];

function addStylesheet() {
  const href = new URL("../css/widget.css", import.meta.url).href;
  if ([...document.querySelectorAll("link[rel=stylesheet]")].some((link) => link.href === href)) return;
  document.head.append(Object.assign(document.createElement("link"), { rel: "stylesheet", href }));
}

/** Renders the widget (once per page) and returns it. */
export function mount({ token, product, container, socketUrl } = {}) {
  if (mounted) {
    if (token) mounted.setToken(token);
    return mounted;
  }
  addStylesheet();
  mounted = new ChatWidget({ token: token ?? queuedTokens.pop(), product, container, socketUrl });
  return mounted;
}

/** Hands the customer token to the widget (mounting it if needed). */
export function setToken(token) {
  if (mounted) mounted.setToken(token);
  else queuedTokens.push(token);
}

function ownScriptTag() {
  return [...document.querySelectorAll("script[src]")].find((script) => script.src === import.meta.url) ?? null;
}

window.addEventListener("message", (event) => {
  if (event.origin !== location.origin) return;
  const data = event.data;
  if (data && data.type === "chatd:token" && typeof data.token === "string") setToken(data.token);
});

window.ChatWidget = { mount, setToken, get instance() { return mounted; } };

const tag = ownScriptTag();
if (tag && !tag.hasAttribute("data-manual")) {
  const query = tag.dataset.tokenQuery;
  const token = tag.dataset.token || (query ? new URLSearchParams(location.search).get(query) : null) || undefined;
  const start = () => mount({ token, product: tag.dataset.product });
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start, { once: true });
}
