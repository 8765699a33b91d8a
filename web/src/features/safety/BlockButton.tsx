// Blocking and unblocking someone, from their profile or a conversation's menu.
import { useTranslation } from "react-i18next";
import { FormError } from "../../components/FormError";
import { useBlockedIds, useSetBlocked } from "./queries";

interface Props {
  userId: string;
  name: string;
  className?: string;
  onDone?: () => void;
}

/** "Block" (after a confirmation saying what it does) or "Unblock". */
export function BlockButton({ userId, name, className = "link-button", onDone }: Props) {
  const { t } = useTranslation();
  const blocked = useBlockedIds().has(userId);
  const setBlocked = useSetBlocked();
  function toggle() {
    if (!blocked && !window.confirm(t("block.confirm", { name }))) return;
    setBlocked.mutate({ userId, blocked: !blocked }, { onSuccess: onDone });
  }
  return (
    <>
      <button type="button" className={className} onClick={toggle} disabled={setBlocked.isPending}>
        {blocked ? t("block.unblock", { name }) : t("block.block", { name })}
      </button>
      <FormError error={setBlocked.error?.message} />
    </>
  );
}
