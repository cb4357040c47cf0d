// The console's state changes in words (docs/PROTOCOL.md §3): what happened to a chat, and the agent's own
// availability. The console shows these sentences instead of raw event kinds or error messages.

const STATUS = {
  available: { label: "Available", effect: "new chats are routed to you" },
  away: { label: "Away", effect: "you will not receive new chats" },
  offline: { label: "Offline", effect: "you will not receive new chats or transfers" },
};

/** "You are Away: you will not receive new chats." */
export function statusSentence(status) {
  const s = STATUS[status];
  return s ? `You are ${s.label}: ${s.effect}.` : `Your status is ${status}.`;
}

/** A status the agent did not ask for: "Your status changed to Away after the reconnect: you will ...". */
export function statusChangeSentence(status, { afterReconnect = false } = {}) {
  const s = STATUS[status] ?? { label: status, effect: "" };
  const when = afterReconnect ? " after the reconnect" : "";
  return `Your status changed to ${s.label}${when}${s.effect ? `: ${s.effect}` : ""}.`;
}

const LOSING = new Set(["joined", "transferred", "requeued", "closed"]);

/** Whether an event of this kind can take the chat away from this agent. */
export function mayEndHold(kind) {
  return LOSING.has(kind);
}

/**
 * The sentence for an event that changes who holds a chat, from this agent's point of view, or null.
 * `context`: {meId, wasMine, customerName, ticketNumber}. An empty string means "nothing to explain any more"
 * (the chat is this agent's again).
 */
export function explainEvent(event, { meId, wasMine, customerName, ticketNumber }) {
  const isMe = (who) => who != null && Number(who.id) === Number(meId);
  const author = event.author ?? {};
  const byMe = (author.role === "agent" || author.role === "supervisor") && isMe(author);
  const actor = byMe ? "You" : author.name || "Someone";
  switch (event.kind) {
    case "joined":
      return isMe(event.agent) ? "" : `${event.agent?.name ?? "Another agent"} took this chat.`;
    case "transferred":
      if (isMe(event.agent)) return byMe ? "" : `${actor} transferred this chat to you.`;
      return `${actor} transferred this chat to ${event.agent?.name ?? "another agent"}.`;
    case "requeued":
      if (wasMine && event.reason === "agent_disconnected") {
        return "This chat went back to the queue because you were disconnected for too long. Take it from the queue to continue.";
      }
      if (wasMine && event.reason === "agent_offline") {
        return "This chat went back to the queue because you went Offline. Take it from the queue to continue.";
      }
      return "This chat went back to the queue.";
    case "closed":
      if (event.reason === "converted") {
        return ticketNumber ? `This chat became ticket #${ticketNumber} and is closed.` : "This chat became a ticket and is closed.";
      }
      if (author.role === "customer") return `${customerName} closed this chat.`;
      if (author.role === "system") return "This chat was closed.";
      return `${actor} closed this chat.`;
    default:
      return null;
  }
}
