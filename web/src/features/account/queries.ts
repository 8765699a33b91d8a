// The caller's account settings and the calls of the account pages.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { NotificationSettings, NotificationSettingsUpdate } from "../../api/types";

const SETTINGS = ["notification-settings"] as const;

export function useNotificationSettings() {
  return useQuery({
    queryKey: SETTINGS,
    queryFn: async () => unwrap(await api.GET("/api/me/notification-settings")),
  });
}

export function useSaveNotificationSettings() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (body: NotificationSettingsUpdate) =>
      unwrap(await api.PUT("/api/me/notification-settings", { body })),
    onSuccess: (saved: NotificationSettings) => {
      queries.setQueryData(SETTINGS, saved);
    },
  });
}

/** The browser's IANA time zone ("Europe/Paris"), or UTC when it does not say. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** Every IANA time zone the browser knows (the current one first when it is missing). */
export function timeZones(current: string): string[] {
  const known = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const zones = known.includes("UTC") ? known : ["UTC", ...known];
  return zones.includes(current) ? zones : [current, ...zones];
}

/** The first time an account signs in here: its time zone and email language from the browser. */
export async function adoptBrowserSettings(language: string): Promise<void> {
  const body: NotificationSettingsUpdate = {
    time_zone: browserTimeZone(),
    language: language.startsWith("fr") ? "fr" : "en",
  };
  await api.PUT("/api/me/notification-settings", { body });
}
