// A mentor's reviews on their profile, newest first, more loaded as the list's end shows;
// each can be reported.
import { useTranslation } from "react-i18next";
import { api, unwrap } from "../../api/client";
import { usePagedList } from "../../lib/pagedList";
import { useAuth } from "../auth/AuthContext";
import { ReportButton } from "../safety/ReportDialog";
import { mentorshipKeys } from "./queries";
import { ReviewView } from "./ReviewSection";

export function MentorReviews({ mentorId }: { mentorId: string }) {
  const { t } = useTranslation();
  const { status } = useAuth();
  const { items, end } = usePagedList(mentorshipKeys.reviews(mentorId), async (cursor) =>
    unwrap(
      await api.GET("/api/mentors/{mentor_id}/reviews/", {
        params: { path: { mentor_id: mentorId }, query: { limit: 10, cursor } },
      }),
    ),
  );
  if (items.length === 0) return null;
  return (
    <section aria-labelledby="reviews-title" data-testid="reviews">
      <h2 id="reviews-title" className="section-title">
        {t("mentorship.reviews")}
      </h2>
      <ul className="review-list">
        {items.map((review) => (
          <li key={review.id}>
            <ReviewView review={review} />
            {status === "signed-in" && !review.hidden && (
              <ReportButton
                target={{ kind: "review", id: review.id }}
                label={t("report.review")}
                className="link-button small"
              />
            )}
          </li>
        ))}
      </ul>
      <div ref={end} />
    </section>
  );
}
