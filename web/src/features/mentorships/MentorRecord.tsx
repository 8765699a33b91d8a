// What a mentor's record says on cards and profiles: how quickly they answer, their rating,
// and whether they have a place left.
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import type { MentorProfile } from "../../api/types";

type Record = Pick<MentorProfile, "responsiveness" | "rating" | "full">;

/** "within an hour", "within 5 hours", "within a day", "within 3 days". */
function within(seconds: number, t: TFunction): string {
  const hours = Math.max(1, Math.ceil(seconds / 3600));
  if (hours < 24) return t("mentorship.withinHours", { count: hours });
  return t("mentorship.withinDays", { count: Math.ceil(hours / 24) });
}

/** The measured figures that have enough samples, as short phrases (none: nothing shown). */
function useRecordPhrases(record: Record): string[] {
  const { t } = useTranslation();
  const { responsiveness, rating } = record;
  const phrases: string[] = [];
  const replies = responsiveness?.reply_median_seconds ?? responsiveness?.answer_median_seconds;
  if (replies != null) phrases.push(t("mentorship.usuallyReplies", { within: within(replies, t) }));
  if (responsiveness?.answered_share != null)
    phrases.push(t("mentorship.answers", { percent: Math.round(responsiveness.answered_share * 100) }));
  if (rating?.average != null)
    phrases.push(t("mentorship.rating", { average: rating.average.toFixed(1), count: rating.count }));
  return phrases;
}

export function MentorRecordLine({ record }: { record: Record }) {
  const phrases = useRecordPhrases(record);
  if (phrases.length === 0) return null;
  return <p className="record muted small">{phrases.join(" · ")}</p>;
}

export function FullBadge() {
  const { t } = useTranslation();
  return <span className="status-pill status-full">{t("mentorship.full")}</span>;
}
