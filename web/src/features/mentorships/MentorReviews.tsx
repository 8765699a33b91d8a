// A mentor's reviews on their profile (the latest ten), each reportable.
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { useAuth } from "../auth/AuthContext";
import { ReportButton } from "../safety/ReportDialog";
import { mentorReviewsQuery } from "./queries";
import { ReviewView } from "./ReviewSection";

export function MentorReviews({ mentorId }: { mentorId: string }) {
  const { t } = useTranslation();
  const { status } = useAuth();
  const reviews = useQuery(mentorReviewsQuery(mentorId));
  const items = reviews.data?.results ?? [];
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
    </section>
  );
}
