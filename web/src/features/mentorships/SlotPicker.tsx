// Booking: the mentor's free slots in the viewer's time zone, grouped by day.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { FormError } from "../../components/FormError";
import { ErrorState, Skeleton } from "../../components/States";
import { clockTime, dayKey, sessionTime, shortDay, viewerZone } from "../../lib/format";
import { slotsQuery, useBookSession } from "./queries";

interface Props {
  mentorshipId: string;
  mentorId: string;
}

export function SlotPicker({ mentorshipId, mentorId }: Props) {
  const { t } = useTranslation();
  const [minutes, setMinutes] = useState<30 | 60>(30);
  const [chosen, setChosen] = useState<string | null>(null);
  const slots = useQuery(slotsQuery(mentorId, minutes));
  const book = useBookSession(mentorshipId);
  const [pickedDay, setDay] = useState<string | null>(null);
  const byDay = new Map<string, string[]>();
  for (const slot of slots.data?.results ?? []) {
    const key = dayKey(slot.start);
    byDay.set(key, [...(byDay.get(key) ?? []), slot.start]);
  }
  const days = [...byDay.entries()];
  // The day shown: the one picked, else the first with free time.
  const shownDay = pickedDay !== null && byDay.has(pickedDay) ? pickedDay : (days[0]?.[0] ?? "");
  return (
    <section className="slot-picker" aria-labelledby="book-title">
      <h2 id="book-title" className="section-title">
        {t("mentorship.book")}
      </h2>
      <p className="muted small">{t("mentorship.inYourZone", { zone: viewerZone() })}</p>
      <fieldset className="choices inline">
        <legend>{t("mentorship.length")}</legend>
        {([30, 60] as const).map((length) => (
          <label key={length}>
            <input
              type="radio"
              name="minutes"
              checked={minutes === length}
              onChange={() => {
                setMinutes(length);
                setChosen(null);
              }}
            />{" "}
            {t("mentorship.minutes", { count: length })}
          </label>
        ))}
      </fieldset>
      {slots.isPending ? (
        <Skeleton lines={3} />
      ) : slots.isError ? (
        <ErrorState error={slots.error} retry={() => void slots.refetch()} />
      ) : days.length === 0 ? (
        <p className="muted">{t("mentorship.noSlots")}</p>
      ) : (
        <>
          <div className="slot-days" role="group" aria-label={t("mentorship.day")}>
            {days.map(([key, starts]) => (
              <button
                key={key}
                type="button"
                className={key === shownDay ? "slot-day chosen" : "slot-day"}
                aria-pressed={key === shownDay}
                onClick={() => {
                  setDay(key);
                  setChosen(null);
                }}
              >
                {shortDay(starts[0] ?? "")}
              </button>
            ))}
          </div>
          <div className="slot-list" role="group" aria-label={t("mentorship.time")}>
            {(byDay.get(shownDay) ?? []).map((start) => (
              <button
                key={start}
                type="button"
                className={chosen === start ? "slot chosen" : "slot"}
                aria-pressed={chosen === start}
                onClick={() => {
                  setChosen(start);
                }}
              >
                {clockTime(start)}
              </button>
            ))}
          </div>
        </>
      )}
      {chosen && (
        <div className="slot-confirm">
          <p>{sessionTime(chosen, minutes)}</p>
          <button
            type="button"
            className="button"
            disabled={book.isPending}
            onClick={() => {
              book.mutate(
                { start: chosen, minutes },
                {
                  onSuccess: () => {
                    setChosen(null);
                  },
                },
              );
            }}
          >
            {t("mentorship.confirmBooking")}
          </button>
        </div>
      )}
      <FormError error={book.error?.message} />
    </section>
  );
}
