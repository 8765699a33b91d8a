// Blocks, muted conversations and reports: the caller's own safety choices.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { useAuth } from "../auth/AuthContext";
import { chatKeys } from "../chat/queries";

export type ReportTarget = components["schemas"]["Target"];
export type NewReport = components["schemas"]["NewReport"];

export const safetyKeys = {
  blocks: ["blocks"] as const,
  muted: ["muted-conversations"] as const,
};

/** The people the caller blocked (newest first). */
export function useBlocks() {
  const { status } = useAuth();
  return useQuery({
    queryKey: safetyKeys.blocks,
    queryFn: async () => unwrap(await api.GET("/api/me/blocks/")).results,
    enabled: status === "signed-in",
  });
}

/** The ids of the people the caller blocked (their group messages are folded). */
export function useBlockedIds(): Set<string> {
  const blocks = useBlocks();
  return new Set((blocks.data ?? []).map((entry) => entry.user.id));
}

export function useSetBlocked() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async ({ userId, blocked }: { userId: string; blocked: boolean }) => {
      const path = { params: { path: { user_id: userId } } };
      unwrap(
        blocked ? await api.PUT("/api/me/blocks/{user_id}", path) : await api.DELETE("/api/me/blocks/{user_id}", path),
      );
    },
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: safetyKeys.blocks });
      await queries.invalidateQueries({ queryKey: ["mentors"] });
    },
  });
}

export function useMutedConversations() {
  return useQuery({
    queryKey: safetyKeys.muted,
    queryFn: async () => unwrap(await api.GET("/api/me/muted-conversations/")).results,
  });
}

export function useSetMuted() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async ({ conversationId, muted }: { conversationId: string; muted: boolean }) => {
      const path = { params: { path: { conversation_id: conversationId } } };
      unwrap(
        muted
          ? await api.PUT("/api/conversations/{conversation_id}/mute", path)
          : await api.DELETE("/api/conversations/{conversation_id}/mute", path),
      );
    },
    onSuccess: async (_, { conversationId }) => {
      await queries.invalidateQueries({ queryKey: safetyKeys.muted });
      await queries.invalidateQueries({ queryKey: chatKeys.conversation(conversationId) });
      await queries.invalidateQueries({ queryKey: chatKeys.inbox });
    },
  });
}

export function useReport() {
  return useMutation({
    mutationFn: async (body: NewReport) => unwrap(await api.POST("/api/reports/", { body })),
  });
}
