import { COUNTRIES, LANGUAGES } from "../lib/codes";
import { countryName, languageName } from "../lib/format";

/** `<option>`s for ISO codes, by name in the reader's language. */
function sortedOptions(codes: readonly string[], name: (code: string) => string) {
  return codes
    .map((code) => [code, name(code)] as const)
    .sort((a, b) => a[1].localeCompare(b[1]))
    .map(([code, label]) => (
      <option key={code} value={code}>
        {label}
      </option>
    ));
}

export function CountryOptions() {
  return <>{sortedOptions(COUNTRIES, countryName)}</>;
}

export function LanguageOptions() {
  return <>{sortedOptions(LANGUAGES, languageName)}</>;
}
