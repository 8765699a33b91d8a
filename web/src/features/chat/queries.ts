// What the chat asks the server for: the query keys and options of conversations, their
// history and attachments, in one place (the socket's frames invalidate them by these keys).
import { queryOptions } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";

export const chatKeys = {
  inbox: ["conversations"] as const,
  directWith: (userId: string) => ["conversations", "with", userId] as const,
  conversation: (id: string) => ["conversation", id] as const,
  history: (id: string) => ["history", id] as const,
  attachmentUrl: (id: string) => ["attachment-url", id] as const,
};

export const conversationQuery = (id: string) =>
  queryOptions({
    queryKey: chatKeys.conversation(id),
    queryFn: async () =>
      unwrap(await api.GET("/api/conversations/{conversation_id}/", { params: { path: { conversation_id: id } } })),
  });

/** The direct conversation with someone, if there is one (never creates it). */
export const directWithQuery = (userId: string) =>
  queryOptions({
    queryKey: chatKeys.directWith(userId),
    queryFn: async () =>
      unwrap(await api.GET("/api/conversations/", { params: { query: { with: userId } } })).results[0] ?? null,
  });

export const attachmentUrlQuery = (id: string) =>
  queryOptions({
    queryKey: chatKeys.attachmentUrl(id),
    queryFn: async () =>
      unwrap(
        await api.GET("/api/attachments/{attachment_id}", {
          params: { path: { attachment_id: id }, query: { format: "json" } },
        }),
      ),
    staleTime: 4 * 60_000, // the signed URL lives 5 minutes
  });
