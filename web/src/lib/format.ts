// Names and dates in the reader's language (Intl: no locale data in the bundle).
import i18n from "../i18n";
import { MISSING_LANGUAGE_NAMES } from "./languageNames";

const namers = new Map<string, Intl.DisplayNames>();

/** One Intl.DisplayNames per language and type: making one costs far more than asking it
 * (the directory's filters name some 430 codes on first render). */
function displayNames(type: "region" | "language"): Intl.DisplayNames {
  const key = `${i18n.language}:${type}`;
  let namer = namers.get(key);
  if (!namer) {
    namer = new Intl.DisplayNames([i18n.language], { type });
    namers.set(key, namer);
  }
  return namer;
}

export function countryName(code: string): string {
  try {
    return displayNames("region").of(code) ?? code;
  } catch {
    return code;
  }
}

/** A language's name in the reader's language, capitalized for lists ("Français" is how a
 * French list shows "français" on its own line). */
export function languageName(code: string): string {
  let name: string | undefined;
  try {
    const found = displayNames("language").of(code);
    name = found && found !== code ? found : undefined;
  } catch {
    name = undefined;
  }
  const reader = i18n.language.startsWith("fr") ? "fr" : "en";
  name ??= MISSING_LANGUAGE_NAMES[reader][code] ?? code;
  return name.charAt(0).toLocaleUpperCase(i18n.language) + name.slice(1);
}

export function time(iso: string): string {
  return new Date(iso).toLocaleTimeString(i18n.language, { hour: "numeric", minute: "2-digit" });
}

/** A date and time in the reader's language ("7 Dec 2026, 14:05"). */
export function dateTime(iso: string): string {
  return new Date(iso).toLocaleString(i18n.language, { dateStyle: "medium", timeStyle: "short" });
}

/** "Today", "Yesterday", or the date: the separators between a conversation's days. */
export function day(iso: string, today: string, yesterday: string): string {
  const date = new Date(iso);
  const now = new Date();
  const start = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((start(now) - start(date)) / 86_400_000);
  if (days === 0) return today;
  if (days === 1) return yesterday;
  return date.toLocaleDateString(i18n.language, { weekday: "long", day: "numeric", month: "long" });
}

export function dayKey(iso: string): string {
  const date = new Date(iso);
  return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
}

/** "3 minutes ago", "2 days ago" … */
export function ago(iso: string): string {
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
  const format = new Intl.RelativeTimeFormat(i18n.language, { numeric: "auto" });
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ["year", 31_536_000],
    ["month", 2_592_000],
    ["day", 86_400],
    ["hour", 3_600],
    ["minute", 60],
  ];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return format.format(0, "minute");
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The reader's IANA time zone, as the browser knows it ("Europe/Paris"). */
export function viewerZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** A session's time in the reader's zone: "Monday 29 March, 15:00–16:00 CEST". */
export function sessionTime(startIso: string, minutes: number): string {
  const start = new Date(startIso);
  const end = new Date(start.getTime() + minutes * 60_000);
  const dayPart = start.toLocaleDateString(i18n.language, { weekday: "long", day: "numeric", month: "long" });
  const from = start.toLocaleTimeString(i18n.language, { hour: "numeric", minute: "2-digit" });
  const until = end.toLocaleTimeString(i18n.language, { hour: "numeric", minute: "2-digit", timeZoneName: "short" });
  return `${dayPart}, ${from}–${until}`;
}

/** A slot's start in the reader's zone: "3:00 PM", "15:00". */
export function clockTime(iso: string): string {
  return new Date(iso).toLocaleTimeString(i18n.language, { hour: "numeric", minute: "2-digit" });
}

/** A day in the reader's zone, short: "Tue, Dec 8", "mar. 8 déc.". */
export function shortDay(iso: string): string {
  return new Date(iso).toLocaleDateString(i18n.language, { weekday: "short", day: "numeric", month: "short" });
}
