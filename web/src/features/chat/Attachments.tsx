import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { attachmentUrlQuery } from "./queries";
import type { Attachment } from "../../api/types";
import { fileSize } from "../../lib/format";
import { Icon } from "../../components/Icon";

function useDownloadUrl(id: string) {
  return useQuery(attachmentUrlQuery(id));
}

function InlineImage({ attachment }: { attachment: Attachment }) {
  const link = useDownloadUrl(attachment.id);
  if (!link.data) return <span className="attachment-image placeholder" aria-busy="true" />;
  return (
    <a href={link.data.url} target="_blank" rel="noreferrer">
      <img className="attachment-image" src={link.data.url} alt={attachment.filename} data-testid="inline-image" />
    </a>
  );
}

function FileLink({ attachment }: { attachment: Attachment }) {
  const { t } = useTranslation();
  const link = useDownloadUrl(attachment.id);
  return (
    <a
      className="attachment-file"
      href={link.data?.url ?? "#"}
      aria-label={t("chat.download", { name: attachment.filename })}
      target="_blank"
      rel="noreferrer"
    >
      <Icon name="file" size={18} /> {attachment.filename} <span className="muted">{fileSize(attachment.size)}</span>
    </a>
  );
}

/** A message's files: images inline, other files as download links. */
export function Attachments({ items }: { items: Attachment[] }) {
  if (items.length === 0) return null;
  return (
    <div className="attachments">
      {items.map((attachment) =>
        attachment.content_type.startsWith("image/") ? (
          <InlineImage key={attachment.id} attachment={attachment} />
        ) : (
          <FileLink key={attachment.id} attachment={attachment} />
        ),
      )}
    </div>
  );
}
