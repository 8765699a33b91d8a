// The WebSocket frames of docs/api.md, as this client reads them.
import type { Answer, Conversation, Message, Notification, PrivateUser, Question } from "../api/types";

export type ServerFrame =
  | { type: "ready"; user: PrivateUser }
  | { type: "ack"; client_id: string; message: Message }
  | { type: "message"; message: Message }
  | { type: "message_updated"; message: Message }
  | { type: "gap"; conversation_id: string; after: number }
  | { type: "stale"; conversation_id: string }
  | { type: "resumed" }
  | { type: "resync" }
  | { type: "read"; conversation_id: string; user_id: string; seq: number }
  | { type: "typing"; conversation_id: string; user_id: string }
  | { type: "presence"; user_id: string; online: boolean }
  | { type: "notification"; notification: Notification }
  | { type: "conversation"; conversation: Conversation }
  | { type: "pong" }
  | { type: "watching"; question_id: string }
  | { type: "question_updated"; question: Question }
  | { type: "answer"; answer: Answer }
  | { type: "answer_updated"; answer: Answer }
  | { type: "answer_deleted"; question_id: string; answer_id: string }
  | { type: "question_deleted"; question_id: string }
  | {
      type: "error";
      code: string;
      message: string;
      ref: string | null;
      retry_after?: number;
      fields?: Record<string, unknown>;
    };

export type FrameOf<T extends ServerFrame["type"]> = Extract<ServerFrame, { type: T }>;
