// The moderation area's calls: the queue, a case, actions, the audit log.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";

export type Case = components["schemas"]["Case"];
export type CaseDetail = components["schemas"]["CaseDetail"];
export type AuditEntry = components["schemas"]["AuditEntry"];
export type ModerationAction = components["schemas"]["Action"];
export type QueueStatus = "open" | "closed";

export const moderationKeys = {
  all: ["moderation"] as const,
  queue: (status: QueueStatus) => ["moderation", "queue", status] as const,
  case: (id: string) => ["moderation", "case", id] as const,
  audit: ["moderation", "audit"] as const,
};

export function useQueue(status: QueueStatus) {
  return useInfiniteQuery({
    queryKey: moderationKeys.queue(status),
    queryFn: async ({ pageParam }) =>
      unwrap(await api.GET("/api/moderation/reports/", { params: { query: { status, cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

export function useCase(id: string | null) {
  return useQuery({
    queryKey: moderationKeys.case(id ?? ""),
    queryFn: async () =>
      unwrap(await api.GET("/api/moderation/reports/{case_id}", { params: { path: { case_id: id ?? "" } } })),
    enabled: id !== null,
  });
}

export function useAudit() {
  return useInfiniteQuery({
    queryKey: moderationKeys.audit,
    queryFn: async ({ pageParam }) =>
      unwrap(await api.GET("/api/moderation/audit/", { params: { query: { cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
}

export function useModerationAction() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (body: ModerationAction) => unwrap(await api.POST("/api/moderation/actions/", { body })),
    onSuccess: () => queries.invalidateQueries({ queryKey: moderationKeys.all }),
  });
}
