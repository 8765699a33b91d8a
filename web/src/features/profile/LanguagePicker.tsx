import { useId, useMemo, useState, type KeyboardEvent } from "react";
import { useTranslation } from "react-i18next";
import { LANGUAGES } from "../../lib/codes";
import { languageName } from "../../lib/format";

interface Props {
  name: string; // the form field: one hidden input per chosen language
  label: string;
  defaultValue: readonly string[];
  required?: boolean;
}

/** Letters without their accents, lower case: "Français" and "francais" match. */
function folded(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

/**
 * Languages chosen by typing part of their name (in the interface's language): a combobox
 * whose list narrows as one types, the chosen ones as removable chips. Arrow keys move in the
 * list, Enter adds, Backspace in the empty box removes the last one.
 */
export function LanguagePicker({ name, label, defaultValue, required }: Props) {
  const { t, i18n } = useTranslation();
  const [chosen, setChosen] = useState<string[]>([...defaultValue]);
  const [query, setQuery] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const id = useId();
  const all = useMemo(() => {
    const order = new Intl.Collator(i18n.language);
    return LANGUAGES.map((code) => ({ code, label: languageName(code) })).sort((a, b) =>
      order.compare(a.label, b.label),
    );
  }, [i18n.language]);
  const wanted = folded(query.trim());
  const matches = all
    .filter((l) => !chosen.includes(l.code) && (!wanted || folded(l.label).includes(wanted)))
    .slice(0, 8);

  function add(code: string) {
    setChosen((was) => [...was, code]);
    setQuery("");
    setActive(0);
  }

  function keyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      setOpen(true);
      const step = event.key === "ArrowDown" ? 1 : -1;
      setActive((was) => (matches.length ? (was + step + matches.length) % matches.length : 0));
    } else if (event.key === "Enter") {
      if (open && matches[active]) {
        event.preventDefault(); // adds the language instead of sending the form
        add(matches[active].code);
      }
    } else if (event.key === "Escape") {
      setOpen(false);
    } else if (event.key === "Backspace" && !query && chosen.length > 0) {
      setChosen((was) => was.slice(0, -1));
    }
  }

  const listId = `${id}-list`;
  return (
    <div className="field language-picker">
      <label htmlFor={`${id}-input`}>{label}</label>
      <div className="chip-input">
        {chosen.map((code) => (
          <span key={code} className="chip">
            {languageName(code)}
            <button
              type="button"
              aria-label={t("me.removeLanguage", { name: languageName(code) })}
              onClick={() => {
                setChosen((was) => was.filter((c) => c !== code));
              }}
            >
              ×
            </button>
            <input type="hidden" name={name} value={code} />
          </span>
        ))}
        <input
          id={`${id}-input`}
          role="combobox"
          aria-expanded={open && matches.length > 0}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={open && matches[active] ? `${id}-${matches[active].code}` : undefined}
          value={query}
          placeholder={t("me.addLanguage")}
          autoComplete="off"
          // The browser checks that at least one is chosen (the hidden inputs cannot be required).
          required={required && chosen.length === 0}
          onChange={(event) => {
            setQuery(event.target.value);
            setOpen(true);
            setActive(0);
          }}
          onFocus={() => {
            setOpen(true);
          }}
          onBlur={() => {
            setOpen(false);
          }}
          onKeyDown={keyDown}
        />
      </div>
      {open && matches.length > 0 && (
        <ul id={listId} role="listbox" className="picker-list" aria-label={label}>
          {matches.map((language, index) => (
            <li
              key={language.code}
              id={`${id}-${language.code}`}
              role="option"
              aria-selected={index === active}
              className={index === active ? "active" : undefined}
              // mousedown, not click: the input keeps its focus (and its list) while choosing
              onMouseDown={(event) => {
                event.preventDefault();
                add(language.code);
              }}
            >
              {language.label}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
