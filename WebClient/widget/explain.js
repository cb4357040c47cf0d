// Friendly explanations for the refusals a customer can meet (docs/PROTOCOL.md §5, §6, §6a).
// Each returns {title, text, ticket: bool}; `ticket` says whether to offer "Open a ticket instead".

/** Codes after which the customer is offered a ticket instead of a chat. */
export const TICKET_ALTERNATIVE = new Set([
  "plan_excludes_chat", "product_excludes_chat", "authorized_contacts_exceeded", "chat_offline",
]);

export function explainRefusal(frame, { organization, productName } = {}) {
  const plan = organization?.plan ? organization.plan.toUpperCase() : "current";
  switch (frame.code) {
    case "plan_excludes_chat":
      return {
        title: "Live chat isn't part of your plan",
        text: `Your organization's ${plan} plan includes support by ticket but not live chat. ` +
          "Open a ticket and our support team will answer you there; you will see every reply in your ticket list.",
        ticket: true,
      };
    case "product_excludes_chat":
      return {
        title: `Live chat isn't offered for ${productName || "this product"}`,
        text: `Questions about ${productName || "this product"} are handled by specialists through tickets. ` +
          "Open a ticket and they will get back to you.",
        ticket: true,
      };
    case "authorized_contacts_exceeded":
      return {
        title: "All chat seats of your organization are in use",
        text: "Your plan allows a fixed number of people to use live chat, and your organization has reached it. " +
          "Your account administrator can change who is authorized. Meanwhile, you can open a ticket.",
        ticket: true,
      };
    case "chat_offline":
      return {
        title: "Live chat is closed right now",
        text: `Our support team is outside its chat hours. ${frame.nextOpeningText ? `Chat opens again ${frame.nextOpeningText}. ` : ""}` +
          "You can open a ticket now; if you cannot take orders or produce a job, mark your request urgent and on-call staff will be alerted.",
        ticket: true,
      };
    case "already_in_chat":
      return {
        title: "You already have an open chat",
        text: "Finish or close your current chat (perhaps in another tab) before starting a new one.",
        ticket: false,
      };
    case "unknown_product":
      return { title: "Unknown product", text: "Please choose a product from the list.", ticket: false };
    default:
      return {
        title: "We could not start the chat",
        text: frame.message || "Something went wrong. Please try again in a moment.",
        ticket: frame.alternative === "ticket",
      };
  }
}
