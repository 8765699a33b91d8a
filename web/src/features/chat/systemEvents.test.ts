import { describe, expect, it } from "vitest";
import { acceptedMentorship, sessionCard } from "./systemEvents";

describe("the system messages of a mentorship", () => {
  const booked = {
    type: "session_booked",
    session_id: "s1",
    mentorship_id: "m1",
    start: "2027-03-29T13:00:00+00:00",
    minutes: 60,
    meeting_url: null,
  };

  it("reads a session's card from its event", () => {
    expect(sessionCard(booked)).toEqual(booked);
    expect(sessionCard({ ...booked, type: "session_cancelled" })?.type).toBe("session_cancelled");
  });

  it("leaves other system messages alone", () => {
    expect(sessionCard({ type: "renamed", title: "x" })).toBeNull();
    expect(sessionCard(null)).toBeNull();
    expect(acceptedMentorship(booked)).toBeNull();
  });

  it("finds the mentorship an acceptance started", () => {
    expect(acceptedMentorship({ type: "mentorship_accepted", mentorship_id: "m1" })).toBe("m1");
    expect(acceptedMentorship({ type: "mentorship_accepted" })).toBeNull();
  });
});
