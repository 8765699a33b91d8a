/**
 * What the client holds of each conversation: messages once per seq (the version with the
 * highest rev wins, whatever arrives twice or out of order), the highest rev applied, the
 * messages still being sent, read marks and who is typing.
 *
 * `cursor(id)` is the seq `resume` starts after: the end of the run of seqs held without a hole
 * above `settled`, the seq up to which the server has told everything (after a `resumed` or a
 * complete history page a missing seq is one the server skipped, not one we missed).
 */
import type { Message } from "../api/types";
import { Versioned } from "./versioned";

export interface Outgoing {
  clientId: string;
  conversationId: string;
  body: string;
  attachments: string[];
  senderId: string;
  createdAt: string;
  failed?: string; // the server's reason, when it will not be sent
  failedCode?: string; // and its error code
}

interface ConversationState {
  messages: Map<number, Message>;
  rev: number;
  settled: number;
  readMarks: Record<string, number>;
  typing: Map<string, number>; // user id -> until (ms)
  sorted: Message[] | null;
}

export class MessageStore extends Versioned {
  private conversations = new Map<string, ConversationState>();
  private outgoing: Outgoing[] = [];

  private state(conversationId: string): ConversationState {
    let state = this.conversations.get(conversationId);
    if (!state) {
      state = { messages: new Map(), rev: 0, settled: 0, readMarks: {}, typing: new Map(), sorted: null };
      this.conversations.set(conversationId, state);
    }
    return state;
  }

  /** Keep `message` unless a version with a higher rev is held; true when something changed. */
  apply(message: Message, notify = true): boolean {
    const state = this.state(message.conversation_id);
    const held = state.messages.get(message.seq);
    state.rev = Math.max(state.rev, message.rev);
    if (held && held.rev >= message.rev) return false;
    state.messages.set(message.seq, message);
    state.sorted = null;
    if (notify) this.changed();
    return true;
  }

  applyAll(messages: Message[], settledUpTo?: { conversationId: string; seq: number }): void {
    let any = false;
    for (const message of messages) any = this.apply(message, false) || any;
    if (settledUpTo) this.settle(settledUpTo.conversationId, settledUpTo.seq, false);
    if (any || settledUpTo) this.changed();
  }

  /** The server has told everything up to `seq` in this conversation. */
  settle(conversationId: string, seq: number, notify = true): void {
    const state = this.state(conversationId);
    state.settled = Math.max(state.settled, seq);
    if (notify) this.changed();
  }

  /** Forget a conversation's messages (after `stale`): it is fetched anew. */
  reset(conversationId: string): void {
    this.conversations.delete(conversationId);
    this.changed();
  }

  held(): string[] {
    return [...this.conversations.keys()];
  }

  messages(conversationId: string): Message[] {
    const state = this.conversations.get(conversationId);
    if (!state) return [];
    state.sorted ??= [...state.messages.values()].sort((a, b) => a.seq - b.seq);
    return state.sorted;
  }

  rev(conversationId: string): number {
    return this.conversations.get(conversationId)?.rev ?? 0;
  }

  cursor(conversationId: string): number {
    const state = this.conversations.get(conversationId);
    if (!state) return 0;
    let seq = state.settled;
    while (state.messages.has(seq + 1)) seq += 1;
    return seq;
  }

  // -- read marks and typing ---------------------------------------------------------------

  setReadMark(conversationId: string, userId: string, seq: number): void {
    const marks = this.state(conversationId).readMarks;
    if ((marks[userId] ?? -1) >= seq) return;
    marks[userId] = seq;
    this.changed();
  }

  readMarks(conversationId: string): Record<string, number> {
    return this.conversations.get(conversationId)?.readMarks ?? {};
  }

  setTyping(conversationId: string, userId: string, until: number): void {
    this.state(conversationId).typing.set(userId, until);
    this.changed();
  }

  stopTyping(conversationId: string, userId: string): void {
    if (this.conversations.get(conversationId)?.typing.delete(userId)) this.changed();
  }

  typing(conversationId: string, now: number): string[] {
    const typing = this.conversations.get(conversationId)?.typing;
    if (!typing) return [];
    return [...typing.entries()].filter(([, until]) => until > now).map(([user]) => user);
  }

  // -- messages being sent ------------------------------------------------------------------

  addOutgoing(outgoing: Outgoing): void {
    this.outgoing.push(outgoing);
    this.changed();
  }

  /** The ack came: the message is held like any other. */
  acked(clientId: string, message: Message): void {
    this.outgoing = this.outgoing.filter((o) => o.clientId !== clientId);
    this.apply(message, false);
    this.changed();
  }

  fail(clientId: string, reason: string, code?: string): void {
    this.outgoing = this.outgoing.map((o) =>
      o.clientId === clientId ? { ...o, failed: reason, failedCode: code } : o,
    );
    this.changed();
  }

  retry(clientId: string): void {
    this.outgoing = this.outgoing.map((o) =>
      o.clientId === clientId ? { ...o, failed: undefined, failedCode: undefined } : o,
    );
    this.changed();
  }

  discard(clientId: string): void {
    this.outgoing = this.outgoing.filter((o) => o.clientId !== clientId);
    this.changed();
  }

  /** Messages waiting for their ack, oldest first (those that failed included). */
  pending(conversationId?: string): Outgoing[] {
    return conversationId === undefined
      ? this.outgoing
      : this.outgoing.filter((o) => o.conversationId === conversationId);
  }
}
