// What the system messages of a mentorship carry in `event` (docs/api.md, "Groups").

export interface SessionEvent {
  type: "session_booked" | "session_rescheduled" | "session_cancelled";
  session_id: string;
  mentorship_id: string;
  start: string;
  minutes: number;
  meeting_url: string | null;
}

/** The mentorship a `mentorship_accepted` system message's `event` names, if it is one. */
export function acceptedMentorship(event: unknown): string | null {
  if (event === null || typeof event !== "object") return null;
  const { type, mentorship_id: id } = event as { type?: unknown; mentorship_id?: unknown };
  return type === "mentorship_accepted" && typeof id === "string" ? id : null;
}

/** The session a system message's `event` describes, if it is about one. */
export function sessionCard(event: unknown): SessionEvent | null {
  if (event === null || typeof event !== "object") return null;
  const type = (event as { type?: unknown }).type;
  return type === "session_booked" || type === "session_rescheduled" || type === "session_cancelled"
    ? (event as SessionEvent)
    : null;
}
