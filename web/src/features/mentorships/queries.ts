// Mentorships: their query keys, reads and changes (requests, answers, goals, sessions,
// reviews), the mentor's availability and free slots.
import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import type { Availability } from "../../api/types";

export type MentorshipState = components["schemas"]["Mentorship"]["state"];
export type Transition = "accept" | "decline" | "withdraw" | "complete" | "end";

export const mentorshipKeys = {
  all: ["mentorships"] as const,
  list: (role: string, states: readonly string[]) => ["mentorships", "list", role, ...states] as const,
  one: (id: string) => ["mentorships", "one", id] as const,
  slots: (mentorId: string, minutes: number) => ["slots", mentorId, minutes] as const,
  availability: ["availability"] as const,
  reviews: (mentorId: string) => ["reviews", mentorId] as const,
};

/** The caller's mentorships in `states`, most recently changed first: as `role`, or on
 * either side when it is left out. */
export const mentorshipListQuery = (role: "mentor" | "mentee" | undefined, states: readonly MentorshipState[]) =>
  queryOptions({
    queryKey: mentorshipKeys.list(role ?? "either", states),
    queryFn: async () =>
      unwrap(await api.GET("/api/mentorships/", { params: { query: { role, state: [...states], limit: 100 } } }))
        .results,
  });

export const mentorshipQuery = (id: string) =>
  queryOptions({
    queryKey: mentorshipKeys.one(id),
    queryFn: async () =>
      unwrap(await api.GET("/api/mentorships/{mentorship_id}", { params: { path: { mentorship_id: id } } })),
  });

/** The mentor's free slots over the next four weeks, in UTC. */
export const slotsQuery = (mentorId: string, minutes: 30 | 60) =>
  queryOptions({
    queryKey: mentorshipKeys.slots(mentorId, minutes),
    queryFn: async () => {
      const from = new Date();
      const to = new Date(from.getTime() + 28 * 24 * 3600 * 1000);
      return unwrap(
        await api.GET("/api/mentors/{mentor_id}/slots/", {
          params: {
            path: { mentor_id: mentorId },
            query: { from: from.toISOString(), to: to.toISOString(), minutes },
          },
        }),
      );
    },
  });

export const availabilityQuery = () =>
  queryOptions({
    queryKey: mentorshipKeys.availability,
    queryFn: async () => unwrap(await api.GET("/api/me/availability")),
  });

/** Every change here touches a mentorship: refetch them (and the mentor's figures). */
function useRefresh() {
  const queries = useQueryClient();
  return async () => {
    await queries.invalidateQueries({ queryKey: mentorshipKeys.all });
    await queries.invalidateQueries({ queryKey: ["slots"] });
    await queries.invalidateQueries({ queryKey: ["mentor"] });
    await queries.invalidateQueries({ queryKey: ["reviews"] });
  };
}

export function useRequestMentorship() {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: async (body: { mentor_id: string; goals: string[]; message: string }) =>
      unwrap(await api.POST("/api/mentorships/", { body })),
    onSuccess: refresh,
  });
}

export function useTransition(id: string) {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: async ({ action, reason }: { action: Transition; reason?: string }) => {
      const params = { params: { path: { mentorship_id: id } } };
      const body = { reason: reason ?? "" };
      switch (action) {
        case "accept":
          return unwrap(await api.POST("/api/mentorships/{mentorship_id}/accept", params));
        case "decline":
          return unwrap(await api.POST("/api/mentorships/{mentorship_id}/decline", { ...params, body }));
        case "withdraw":
          return unwrap(await api.POST("/api/mentorships/{mentorship_id}/withdraw", params));
        case "complete":
          return unwrap(await api.POST("/api/mentorships/{mentorship_id}/complete", params));
        case "end":
          return unwrap(await api.POST("/api/mentorships/{mentorship_id}/end", { ...params, body }));
      }
    },
    onSuccess: refresh,
  });
}

export function useAddGoal(id: string) {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: async (text: string) =>
      unwrap(
        await api.POST("/api/mentorships/{mentorship_id}/goals/", {
          params: { path: { mentorship_id: id } },
          body: { text },
        }),
      ),
    onSuccess: refresh,
  });
}

export function useTickGoal() {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: async ({ goalId, done }: { goalId: string; done: boolean }) =>
      unwrap(await api.PATCH("/api/goals/{goal_id}", { params: { path: { goal_id: goalId } }, body: { done } })),
    onSuccess: refresh,
  });
}

export function useBookSession(id: string) {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: async (body: { start: string; minutes: 30 | 60 }) =>
      unwrap(
        await api.POST("/api/mentorships/{mentorship_id}/sessions/", {
          params: { path: { mentorship_id: id } },
          body,
        }),
      ),
    onSuccess: refresh,
  });
}

export function useCancelSession(id: string) {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: async (sessionId: string) => {
      unwrap(
        await api.DELETE("/api/mentorships/{mentorship_id}/sessions/{session_id}", {
          params: { path: { mentorship_id: id, session_id: sessionId } },
        }),
      );
    },
    onSuccess: refresh,
  });
}

export function useWriteReview(id: string) {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: async (body: { rating: number; text: string }) =>
      unwrap(
        await api.PUT("/api/mentorships/{mentorship_id}/review", { params: { path: { mentorship_id: id } }, body }),
      ),
    onSuccess: refresh,
  });
}

export function useReplyToReview(id: string) {
  const refresh = useRefresh();
  return useMutation({
    mutationFn: async (text: string) =>
      unwrap(
        await api.PUT("/api/mentorships/{mentorship_id}/review/reply", {
          params: { path: { mentorship_id: id } },
          body: { text },
        }),
      ),
    onSuccess: refresh,
  });
}

export function useSaveAvailability() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (body: Availability) => unwrap(await api.PUT("/api/me/availability", { body })),
    onSuccess: (saved) => {
      queries.setQueryData(mentorshipKeys.availability, saved);
    },
  });
}
