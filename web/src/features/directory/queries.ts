// The directory's query keys and options: the mentor list, a mentor, a person.
import { queryOptions } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";

export const directoryKeys = {
  mentors: (filters: object) => ["mentors", filters] as const,
  mentor: (id: string) => ["mentor", id] as const,
  person: (id: string) => ["user", id] as const,
};

export const mentorQuery = (id: string) =>
  queryOptions({
    queryKey: directoryKeys.mentor(id),
    queryFn: async () => unwrap(await api.GET("/api/mentors/{mentor_id}/", { params: { path: { mentor_id: id } } })),
  });

/** Anyone's public profile. */
export const personQuery = (id: string) =>
  queryOptions({
    queryKey: directoryKeys.person(id),
    queryFn: async () => unwrap(await api.GET("/api/users/{user_id}", { params: { path: { user_id: id } } })),
  });
