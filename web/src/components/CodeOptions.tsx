import { useDeferredValue, useMemo } from "react";
import { useTranslation } from "react-i18next";
import { COUNTRIES, LANGUAGES } from "../lib/codes";
import { countryName, languageName } from "../lib/format";

/**
 * `<option>`s for ISO codes, by name in the reader's language. Naming and sorting some 250
 * countries and 180 languages is the costliest part of the directory's first render, so the
 * first render has only the `selected` one (the select shows its value at once) and React adds
 * the others right after, without holding the page up (a deferred value: the cards show first).
 */
function useSortedOptions(codes: readonly string[], name: (code: string) => string, selected?: string) {
  const { i18n } = useTranslation();
  const wanted = useDeferredValue(true, false);
  const all = useMemo(() => {
    if (!wanted) return null;
    const order = new Intl.Collator(i18n.language); // one collator, not one per comparison
    return codes
      .map((code) => [code, name(code)] as const)
      .sort((a, b) => order.compare(a[1], b[1]))
      .map(([code, label]) => (
        <option key={code} value={code}>
          {label}
        </option>
      ));
  }, [wanted, codes, name, i18n.language]);
  if (all) return all;
  return selected
    ? [
        <option key={selected} value={selected}>
          {name(selected)}
        </option>,
      ]
    : [];
}

export function CountryOptions({ selected }: { selected?: string }) {
  return <>{useSortedOptions(COUNTRIES, countryName, selected)}</>;
}

export function LanguageOptions({ selected }: { selected?: string }) {
  return <>{useSortedOptions(LANGUAGES, languageName, selected)}</>;
}
