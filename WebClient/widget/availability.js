// Availability up front (docs/PROTOCOL.md §1, `welcome.availability`; §3 `queue_position`): whether chat can open
// now, why not, when it opens again (in the customer's own time zone), and how long a queued customer may wait.
// Pure functions: chat-widget.js decides where the words go.

/**
 * Why chat cannot be offered to this customer for `product` right now, or null when it can.
 * {code, title, text}: `code` is the refusal code the same situation would meet after a request_chat.
 */
export function unavailableReason(welcome, product, { productName } = {}) {
  const availability = welcome?.availability;
  const organization = welcome?.organization;
  if (availability?.reason === "plan_excludes_chat" || organization?.liveChat === false) {
    const plan = organization?.plan ? organization.plan.toUpperCase() : "current";
    return {
      code: "plan_excludes_chat",
      title: "Live chat isn't part of your plan",
      text: `Your organization's ${plan} plan includes support by ticket but not live chat. ` +
        "Open a ticket below and our support team will answer you there; you will see every reply under My tickets.",
    };
  }
  if (availability && availability.chatOpen === false && availability.reason === "outside_hours") {
    const when = describeOpening(availability.nextOpening);
    return {
      code: "chat_offline",
      title: "Live chat is closed right now",
      text: `Our support team is outside its chat hours.${when ? ` Chat opens again ${when}.` : ""} ` +
        "Leave a ticket now and we will answer it; if you cannot take orders or produce a job, mark it urgent and on-call staff will be alerted.",
      nextOpening: availability.nextOpening ?? null,
    };
  }
  if (availability && availability.chatOpen === false) {
    return {
      code: availability.reason ?? "chat_unavailable",
      title: "Live chat is not available",
      text: "Live chat cannot be offered to your account right now. Open a ticket and our support team will answer you there.",
    };
  }
  const chatProducts = availability?.chatProducts;
  const offered = chatProducts ? chatProducts.includes(product)
    : welcome?.products?.find((p) => p.id === product)?.chatOffered !== false;
  if (product && !offered) {
    return {
      code: "product_excludes_chat",
      title: `Live chat isn't offered for ${productName || "this product"}`,
      text: `Questions about ${productName || "this product"} are handled by specialists through tickets. ` +
        "Open a ticket below and they will get back to you.",
    };
  }
  return null;
}

/** "Monday, November 23 at 9:00 AM CST" in the viewer's own time zone (and language); "" without a date. */
export function describeOpening(iso, { timeZone, locale } = {}) {
  const date = iso ? new Date(iso) : null;
  if (!date || Number.isNaN(date.getTime())) return "";
  try {
    const day = new Intl.DateTimeFormat(locale, { weekday: "long", month: "long", day: "numeric", timeZone }).format(date);
    const time = new Intl.DateTimeFormat(locale, { hour: "numeric", minute: "2-digit", timeZoneName: "short", timeZone }).format(date);
    return `${day} at ${time}`;
  } catch {
    return date.toString();
  }
}

/** 170 -> "about 3 minutes"; 20 -> "less than a minute"; null/undefined -> null (nothing to say yet). */
export function describeWait(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) return null;
  if (seconds < 45) return "less than a minute";
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes < 90) return `about ${minutes} minute${minutes === 1 ? "" : "s"}`;
  const hours = Math.round(minutes / 60);
  return `about ${hours} hour${hours === 1 ? "" : "s"}`;
}
