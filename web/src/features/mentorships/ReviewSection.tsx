// A mentorship's review: the mentee writes (and may edit for 14 days), the mentor answers once.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { Review } from "../../api/types";
import { FormError } from "../../components/FormError";
import { fieldText, type FormSubmit } from "../../lib/forms";
import { useReplyToReview, useWriteReview } from "./queries";

function Stars({ rating }: { rating: number }) {
  const { t } = useTranslation();
  return (
    <span className="stars" role="img" aria-label={t("mentorship.stars", { count: rating })}>
      {"★".repeat(rating)}
      <span className="stars-off">{"★".repeat(5 - rating)}</span>
    </span>
  );
}

export function ReviewView({ review }: { review: Review }) {
  const { t } = useTranslation();
  return (
    <blockquote className="review">
      <Stars rating={review.rating} />
      {review.hidden ? <em>{t("mentorship.reviewRemoved")}</em> : <p>{review.text}</p>}
      <footer className="muted small">{review.mentee.display_name}</footer>
      {review.reply && (
        <p className="review-reply">
          <strong>{t("mentorship.mentorAnswer")}</strong> {review.reply.text}
        </p>
      )}
    </blockquote>
  );
}

interface Props {
  mentorshipId: string;
  role: "mentor" | "mentee";
  review: Review | null;
  canReview: boolean;
}

export function ReviewSection({ mentorshipId, role, review, canReview }: Props) {
  const { t } = useTranslation();
  const write = useWriteReview(mentorshipId);
  const reply = useReplyToReview(mentorshipId);
  const [editing, setEditing] = useState(false);
  const editable = review !== null && new Date(review.editable_until) > new Date();
  if (role === "mentee" && (review === null || editing)) {
    if (!canReview) return null;
    const submit = (event: FormSubmit) => {
      event.preventDefault();
      const form = new FormData(event.currentTarget);
      write.mutate(
        { rating: Number(fieldText(form, "rating")), text: fieldText(form, "text") },
        {
          onSuccess: () => {
            setEditing(false);
          },
        },
      );
    };
    return (
      <form className="form review-form" onSubmit={submit}>
        <h2 className="section-title">{t("mentorship.reviewTitle")}</h2>
        <fieldset className="choices inline">
          <legend>{t("mentorship.ratingLabel")}</legend>
          {[1, 2, 3, 4, 5].map((value) => (
            <label key={value}>
              <input type="radio" name="rating" value={value} required defaultChecked={review?.rating === value} />{" "}
              {value}
            </label>
          ))}
        </fieldset>
        <label>
          {t("mentorship.reviewText")}
          <textarea name="text" rows={4} required maxLength={2000} defaultValue={review?.text ?? ""} />
        </label>
        <FormError error={write.error?.message} />
        <div className="form-actions">
          <button type="submit" className="button" disabled={write.isPending}>
            {t("mentorship.publishReview")}
          </button>
        </div>
      </form>
    );
  }
  if (review === null) return null;
  return (
    <section aria-labelledby="review-title">
      <h2 id="review-title" className="section-title">
        {t("mentorship.reviewTitle")}
      </h2>
      <ReviewView review={review} />
      {role === "mentee" && editable && (
        <button
          type="button"
          className="link-button"
          onClick={() => {
            setEditing(true);
          }}
        >
          {t("mentorship.editReview")}
        </button>
      )}
      {role === "mentor" && !review.reply && !review.hidden && (
        <form
          className="form"
          onSubmit={(event: FormSubmit) => {
            event.preventDefault();
            reply.mutate(fieldText(new FormData(event.currentTarget), "reply"));
          }}
        >
          <label>
            {t("mentorship.answerReview")}
            <textarea name="reply" rows={3} required maxLength={2000} />
          </label>
          <FormError error={reply.error?.message} />
          <div className="form-actions">
            <button type="submit" className="button button-secondary" disabled={reply.isPending}>
              {t("mentorship.sendAnswer")}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
