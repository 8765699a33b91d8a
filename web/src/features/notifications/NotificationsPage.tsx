import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { api, unwrap } from "../../api/client";
import type { MarkRead, Notification } from "../../api/types";
import { EmptyState, ErrorState, Skeleton } from "../../components/States";
import { ago, sessionTime } from "../../lib/format";
import { usePagedList } from "../../lib/pagedList";
import { notificationKeys } from "./queries";

// `data` depends on the kind (docs/api.md, "Notifications"); these are the fields shown.
type Data = Record<string, unknown> & {
  count?: number;
  question_title?: string;
  conversation_id?: string;
  question_id?: string;
  kind?: "direct" | "group";
  title?: string | null;
  actor_name?: string;
  last_message?: { body?: string } | null;
  event?: string;
  mentorship_id?: string;
  start?: string;
  minutes?: number;
};

/** What a notification says: a line, and the message's first words under it. */
function NotificationText({ notification }: { notification: Notification }) {
  const { t } = useTranslation();
  const data = notification.data as Data;
  const title = data.question_title ?? data.title ?? "";
  const key =
    notification.kind === "new_conversation" && data.kind === "group"
      ? "new_group"
      : data.event
        ? `${notification.kind}.${data.event}`
        : notification.kind;
  return (
    <span className="notification-text">
      <span>
        {t(`notifications.${key}`, {
          count: data.count ?? 1,
          title,
          name: data.actor_name ?? t("notifications.someone"),
          when: data.start ? sessionTime(data.start, data.minutes ?? 30) : "",
        })}
      </span>
      {data.last_message?.body && <span className="muted small preview">{data.last_message.body}</span>}
    </span>
  );
}

function target(notification: Notification): string {
  const data = notification.data as Data;
  if (data.mentorship_id) return `/mentorships/${data.mentorship_id}`;
  if (data.conversation_id) return `/chat/${data.conversation_id}`;
  if (data.question_id) return `/questions/${data.question_id}`;
  return "/";
}

export function NotificationsPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const {
    query: list,
    items,
    end: sentinel,
  } = usePagedList(notificationKeys.list, async (cursor) =>
    unwrap(await api.GET("/api/notifications/", { params: { query: { limit: 30, cursor } } })),
  );
  const read = useMutation({
    mutationFn: async (body: MarkRead) => {
      unwrap(await api.POST("/api/notifications/read", { body }));
    },
    onSuccess: () => void queries.invalidateQueries({ queryKey: notificationKeys.all }),
  });

  async function open(notification: Notification) {
    if (!notification.read) await read.mutateAsync({ ids: [notification.id] });
    void navigate(target(notification));
  }

  return (
    <section className="page narrow">
      <div className="title-row">
        <h1>{t("notifications.title")}</h1>
        {items.some((n) => !n.read) && (
          <button
            type="button"
            className="button button-secondary button-small"
            onClick={() => {
              read.mutate({ all: true });
            }}
          >
            {t("notifications.markAll")}
          </button>
        )}
      </div>
      {list.isPending ? (
        <Skeleton lines={5} />
      ) : list.isError ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState>{t("notifications.none")}</EmptyState>
      ) : (
        <ul className="notification-list">
          {items.map((notification) => {
            return (
              <li key={notification.id}>
                <button
                  type="button"
                  className={notification.read ? "notification" : "notification unread"}
                  onClick={() => void open(notification)}
                  data-testid="notification"
                >
                  <NotificationText notification={notification} />
                  <time className="muted small" dateTime={notification.created_at}>
                    {ago(notification.created_at)}
                  </time>
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <div ref={sentinel} className="sentinel" />
    </section>
  );
}
