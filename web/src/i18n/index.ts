import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import { en } from "./en";
import { fr } from "./fr";

export const LANGUAGES = { en: "English", fr: "Français" } as const;
export type Language = keyof typeof LANGUAGES;
const STORED = "hypee.language";

/** The language chosen before, else the browser's first supported one, else English. */
export function initialLanguage(): Language {
  const stored = localStorage.getItem(STORED);
  if (stored && stored in LANGUAGES) return stored as Language;
  for (const wanted of navigator.languages.length ? navigator.languages : [navigator.language]) {
    const base = wanted.slice(0, 2).toLowerCase();
    if (base in LANGUAGES) return base as Language;
  }
  return "en";
}

export function chooseLanguage(language: Language): void {
  localStorage.setItem(STORED, language);
  void i18n.changeLanguage(language);
  document.documentElement.lang = language;
}

void i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, fr: { translation: fr } },
  lng: initialLanguage(),
  fallbackLng: "en",
  interpolation: { escapeValue: false },
});
document.documentElement.lang = i18n.language;

export default i18n;
