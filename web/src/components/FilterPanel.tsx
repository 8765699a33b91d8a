import { useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Icon } from "./Icon";

interface Props {
  id: string;
  searchLabel: string;
  search: string;
  onSearch: (value: string) => void;
  /** How many filters are set (shown on the button that opens them on phones). */
  active: number;
  children: ReactNode;
}

/** A list's search box and its filters; on phones the filters fold away behind a button. */
export function FilterPanel({ id, searchLabel, search, onSearch, active, children }: Props) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  return (
    <form
      className={open ? "filters filters-open" : "filters"}
      role="search"
      onSubmit={(event) => {
        event.preventDefault();
      }}
    >
      <div className="field field-wide">
        <label htmlFor={`${id}-search`}>{searchLabel}</label>
        <div className="search-line">
          <input
            id={`${id}-search`}
            type="search"
            value={search}
            onChange={(event) => {
              onSearch(event.target.value);
            }}
          />
          <button
            type="button"
            className="button button-secondary filters-toggle"
            aria-expanded={open}
            aria-controls={`${id}-more`}
            onClick={() => {
              setOpen((was) => !was);
            }}
          >
            <Icon name="filter" size={18} />
            {t("common.filters")}
            {active > 0 && <span className="badge badge-soft">{active}</span>}
          </button>
        </div>
      </div>
      <div className="more-filters" id={`${id}-more`}>
        {children}
      </div>
    </form>
  );
}
