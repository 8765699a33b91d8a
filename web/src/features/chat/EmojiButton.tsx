import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Icon } from "../../components/Icon";
import dataSource from "emoji-picker-element-data/en/emojibase/data.json?url";

/** The emoji picker, loaded the first time it is opened (it is not in the first bundle). */
export function EmojiButton({ onPick }: { onPick: (emoji: string) => void }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const holder = useRef<HTMLDivElement>(null);
  const pick = useRef(onPick);
  pick.current = onPick;

  useEffect(() => {
    if (!open || !holder.current) return;
    let picker: HTMLElement | null = null;
    let cancelled = false;
    void import("emoji-picker-element").then(({ Picker }) => {
      if (cancelled || !holder.current) return;
      picker = new Picker({ dataSource });
      picker.addEventListener("emoji-click", (event) => {
        const unicode = (event as CustomEvent<{ unicode?: string }>).detail.unicode;
        if (unicode) pick.current(unicode);
        setOpen(false);
      });
      holder.current.appendChild(picker);
    });
    const close = (event: KeyboardEvent) => {
      if (event.key === "Escape") setOpen(false);
    };
    window.addEventListener("keydown", close);
    return () => {
      cancelled = true;
      picker?.remove();
      window.removeEventListener("keydown", close);
    };
  }, [open]);

  return (
    <div className="emoji">
      <button
        type="button"
        className="icon-button"
        aria-label={t("chat.emoji")}
        aria-expanded={open}
        onClick={() => {
          setOpen((was) => !was);
        }}
      >
        <Icon name="emoji" />
      </button>
      {open && <div className="emoji-popover" ref={holder} />}
    </div>
  );
}
