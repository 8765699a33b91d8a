// The forum's query keys and options: the question list and a question as a reader sees it.
import { queryOptions } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";

export const forumKeys = {
  questions: (filters: object) => ["questions", filters] as const,
  /** `my_vote` depends on who reads: one entry per reader (null: signed out). */
  question: (id: string, reader: string | null) => ["question", id, reader] as const,
};

export const questionQuery = (id: string, reader: string | null, enabled: boolean) =>
  queryOptions({
    queryKey: forumKeys.question(id, reader),
    queryFn: async () =>
      unwrap(await api.GET("/api/questions/{question_id}/", { params: { path: { question_id: id } } })),
    enabled,
  });
