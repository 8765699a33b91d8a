// A mentor's weekly hours (in their own time zone) and days off, on /me.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { Availability } from "../../api/types";
import { FormError } from "../../components/FormError";
import { ErrorState, Skeleton } from "../../components/States";
import { viewerZone } from "../../lib/format";
import { timeZones } from "../account/queries";
import { availabilityQuery, useSaveAvailability } from "./queries";

type Window = Availability["weekly"][number];
const WEEKDAYS = [0, 1, 2, 3, 4, 5, 6];
const HALF_HOURS = Array.from(
  { length: 49 },
  (_, i) => `${String(Math.floor(i / 2)).padStart(2, "0")}:${i % 2 ? "30" : "00"}`,
);

function weekdayName(weekday: number, language: string): string {
  // 2024-01-01 was a Monday.
  return new Date(Date.UTC(2024, 0, 1 + weekday)).toLocaleDateString(language, { weekday: "long", timeZone: "UTC" });
}

function Editor({ initial }: { initial: Availability }) {
  const { t, i18n } = useTranslation();
  const save = useSaveAvailability();
  const [zone, setZone] = useState(initial.weekly.length ? initial.time_zone : viewerZone());
  const [weekly, setWeekly] = useState<Window[]>(initial.weekly);
  const [daysOff, setDaysOff] = useState<string[]>(initial.days_off ?? []);
  const [dayOff, setDayOff] = useState("");
  const change = (index: number, patch: Partial<Window>) => {
    save.reset();
    setWeekly(weekly.map((w, i) => (i === index ? { ...w, ...patch } : w)));
  };
  return (
    <form
      className="form availability"
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate({ time_zone: zone, weekly, days_off: daysOff });
      }}
    >
      <h2 className="section-title">{t("availability.title")}</h2>
      <p className="muted">{t("availability.hint")}</p>
      <label>
        {t("settings.timeZone")}
        <select
          value={zone}
          onChange={(event) => {
            setZone(event.target.value);
          }}
        >
          {timeZones(zone).map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <ul className="hours">
        {weekly.map((window, index) => (
          <li key={index} className="hours-row">
            <label>
              <span className="visually-hidden">{t("availability.day")}</span>
              <select
                value={window.weekday}
                onChange={(event) => {
                  change(index, { weekday: Number(event.target.value) });
                }}
              >
                {WEEKDAYS.map((day) => (
                  <option key={day} value={day}>
                    {weekdayName(day, i18n.language)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              <span className="visually-hidden">{t("availability.from")}</span>
              <select
                value={window.start}
                onChange={(event) => {
                  change(index, { start: event.target.value });
                }}
              >
                {HALF_HOURS.slice(0, -1).map((time) => (
                  <option key={time}>{time}</option>
                ))}
              </select>
            </label>
            <span aria-hidden="true">–</span>
            <label>
              <span className="visually-hidden">{t("availability.until")}</span>
              <select
                value={window.end}
                onChange={(event) => {
                  change(index, { end: event.target.value });
                }}
              >
                {HALF_HOURS.slice(1).map((time) => (
                  <option key={time}>{time}</option>
                ))}
              </select>
            </label>
            <button
              type="button"
              className="link-button"
              onClick={() => {
                save.reset();
                setWeekly(weekly.filter((_, i) => i !== index));
              }}
            >
              {t("availability.remove")}
            </button>
          </li>
        ))}
      </ul>
      <button
        type="button"
        className="button button-secondary button-small"
        onClick={() => {
          setWeekly([...weekly, { weekday: 0, start: "09:00", end: "12:00" }]);
        }}
      >
        {t("availability.addHours")}
      </button>
      <fieldset className="choices">
        <legend>{t("availability.daysOff")}</legend>
        <ul className="chips">
          {daysOff.map((date) => (
            <li key={date} className="chip">
              {date}{" "}
              <button
                type="button"
                className="link-button"
                aria-label={t("availability.removeDay", { date })}
                onClick={() => {
                  setDaysOff(daysOff.filter((d) => d !== date));
                }}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
        <div className="inline-form">
          <label className="visually-hidden" htmlFor="day-off">
            {t("availability.addDayOff")}
          </label>
          <input
            id="day-off"
            type="date"
            value={dayOff}
            onChange={(event) => {
              setDayOff(event.target.value);
            }}
          />
          <button
            type="button"
            className="button button-secondary button-small"
            disabled={!dayOff}
            onClick={() => {
              setDaysOff([...new Set([...daysOff, dayOff])].sort());
              setDayOff("");
            }}
          >
            {t("availability.addDayOff")}
          </button>
        </div>
      </fieldset>
      <FormError error={save.error?.message} />
      <button type="submit" className="button" disabled={save.isPending}>
        {save.isSuccess ? t("common.saved") : t("availability.save")}
      </button>
    </form>
  );
}

export function AvailabilityEditor() {
  const query = useQuery(availabilityQuery());
  if (query.isPending) return <Skeleton lines={3} />;
  if (query.isError) return <ErrorState error={query.error} retry={() => void query.refetch()} />;
  return <Editor initial={query.data} />;
}
