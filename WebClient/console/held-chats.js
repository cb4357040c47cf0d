// Which chats this console still holds after a (re)connection. The connection would resume every followed chat
// at once; a chat transferred, requeued or closed while the page was away would then be refused ("You cannot
// follow chat N"). Instead, followed chats are held back until the server lists them as ours (`session` frames
// right after `welcome`, ended by the first `queue` frame, docs/PROTOCOL.md §3a); the others are explained from
// their transcript.
import { api } from "../js/dom.js";

export class HeldChats {
  constructor(connection) {
    this.connection = connection;
    /** Followed before the latest welcome, not yet listed by the server; null once settled. */
    this.unconfirmed = null;
  }

  /** On `welcome`, before the connection resumes: stop following until the server confirms. */
  holdBack() {
    this.unconfirmed = new Set(this.connection.followed);
    for (const id of this.unconfirmed) this.connection.unfollow(id);
  }

  /** Between a welcome and its first `queue` frame. */
  get settling() {
    return this.unconfirmed != null;
  }

  /** A `session` frame says the chat is ours: follow it (a sync from the last seq this page saw). */
  confirm(id) {
    this.unconfirmed?.delete(id);
    if (!this.connection.followed.has(id)) this.connection.follow(id);
  }

  /** The first `queue` frame after a welcome: returns the chats the server did not list. */
  settle() {
    const lost = [...(this.unconfirmed ?? [])];
    this.unconfirmed = null;
    return lost;
  }
}

/**
 * Shows in `chat` (a ChatView) what took it away, read from its transcript (agents may read the chats they
 * handled): the events up to that one in full, later changes of hands as a sentence only.
 */
export async function explainLostChat(chat, token) {
  try {
    const { status, body } = await api("GET", `/api/transcripts/${chat.id}`, { token });
    for (const event of status === 200 ? body.events ?? [] : []) {
      if (event.seq <= chat.lastSeq) continue;
      if (chat.isMine) chat.addEvent(event);
      else chat.noteHolder(event);
    }
  } catch {
    /* offline: the general sentence below */
  }
  if (chat.isMine) chat.markReleased("This chat is no longer assigned to you.");
}
