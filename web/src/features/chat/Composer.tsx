import { useLayoutEffect, useRef, useState, type ClipboardEvent, type DragEvent, type KeyboardEvent } from "react";
import { useTranslation } from "react-i18next";
import { uploadFile } from "../../lib/uploads";
import { Icon } from "../../components/Icon";
import { EmojiButton } from "./EmojiButton";

interface PendingFile {
  key: string;
  name: string;
  fraction: number;
  uploadId?: string;
  error?: string;
}

interface Props {
  conversationId: string;
  onSend: (body: string, attachments: string[]) => void;
  onTyping: () => void;
  /** False where files cannot be attached yet (a conversation not made before its first message). */
  attachments?: boolean;
  disabled?: boolean;
}

const TYPING_EVERY_MS = 2_000;
/** The server's limit: characters (code points) of the trimmed body. */
export const MAX_MESSAGE_LENGTH = 4_000;
/** From here on the composer shows how many characters are left. */
const SHOW_COUNT_FROM = 3_500;

/** The length the server counts: code points of the trimmed text (an emoji is one). */
export function messageLength(text: string): number {
  return Array.from(text.trim()).length;
}

/** Write a message: Enter sends, Shift+Enter starts a new line; files by picker, drop or paste. */
export function Composer({ conversationId, onSend, onTyping, attachments = true, disabled = false }: Props) {
  const { t, i18n } = useTranslation();
  const [body, setBody] = useState("");
  const [files, setFiles] = useState<PendingFile[]>([]);
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  const lastTyping = useRef(0);
  const [tried, setTried] = useState(false);
  const length = messageLength(body);
  const tooLong = length > MAX_MESSAGE_LENGTH;

  // The box grows with its text up to its CSS max-height, then scrolls.
  useLayoutEffect(() => {
    const box = input.current;
    if (!box) return;
    box.style.height = "auto";
    box.style.height = `${box.scrollHeight + 2}px`;
  }, [body]);

  function attach(list: FileList | File[]) {
    for (const file of Array.from(list)) {
      const key = `${file.name}-${file.size}-${Math.random()}`;
      setFiles((was) => [...was, { key, name: file.name || "file", fraction: 0 }]);
      const change = (patch: Partial<PendingFile>) => {
        setFiles((was) => was.map((f) => (f.key === key ? { ...f, ...patch } : f)));
      };
      uploadFile(file, conversationId, (fraction) => {
        change({ fraction });
      })
        .then((uploadId) => {
          change({ uploadId, fraction: 1 });
        })
        .catch((error: unknown) => {
          change({ error: error instanceof Error ? error.message : String(error) });
        });
    }
  }

  const uploading = files.some((f) => !f.uploadId && !f.error);
  const ready = files.filter((f) => f.uploadId).map((f) => f.uploadId as string);

  function send() {
    const text = body.trim();
    if ((!text && ready.length === 0) || uploading || disabled) return;
    if (tooLong) {
      setTried(true); // never cut: say why nothing was sent
      return;
    }
    onSend(text, ready);
    setBody("");
    setTried(false);
    setFiles([]);
    input.current?.focus();
  }

  /** Put `text` where the caret is (at the end when the box never had focus). */
  function insert(text: string) {
    const box = input.current;
    const at = box?.selectionStart ?? body.length;
    const end = box?.selectionEnd ?? at;
    setBody((was) => was.slice(0, at) + text + was.slice(end));
    requestAnimationFrame(() => {
      box?.focus();
      box?.setSelectionRange(at + text.length, at + text.length);
    });
  }

  function keyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  }

  function typed(value: string) {
    setBody(value);
    const now = Date.now();
    if (value && now - lastTyping.current > TYPING_EVERY_MS) {
      lastTyping.current = now;
      onTyping();
    }
  }

  function paste(event: ClipboardEvent<HTMLTextAreaElement>) {
    if (attachments && event.clipboardData.files.length > 0) {
      event.preventDefault();
      attach(event.clipboardData.files);
    }
  }

  function drop(event: DragEvent<HTMLDivElement>) {
    event.preventDefault();
    setDragging(false);
    if (attachments && event.dataTransfer.files.length > 0) attach(event.dataTransfer.files);
  }

  return (
    <div
      className={dragging ? "composer dragging" : "composer"}
      onDragOver={(event) => {
        event.preventDefault();
        setDragging(attachments);
      }}
      onDragLeave={() => {
        setDragging(false);
      }}
      onDrop={drop}
    >
      {dragging && <div className="drop-hint">{t("chat.dropHere")}</div>}
      {files.length > 0 && (
        <ul className="uploads">
          {files.map((file) => (
            <li key={file.key} className={file.error ? "upload upload-error" : "upload"}>
              <span>{file.error ? `${file.name}: ${file.error}` : file.name}</span>
              {!file.error && (
                <progress max={1} value={file.fraction} aria-label={t("chat.uploading", { name: file.name })} />
              )}
              <button
                type="button"
                className="icon-button"
                aria-label={t("chat.removeAttachment", { name: file.name })}
                onClick={() => {
                  setFiles((was) => was.filter((f) => f.key !== file.key));
                }}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {length >= SHOW_COUNT_FROM && (
        <p
          id={`composer-count-${conversationId}`}
          className={tooLong ? "composer-count too-long" : "composer-count"}
          role={tooLong && tried ? "alert" : undefined}
          aria-live="polite"
        >
          {tooLong
            ? t("chat.tooLong", {
                count: length - MAX_MESSAGE_LENGTH,
                n: (length - MAX_MESSAGE_LENGTH).toLocaleString(i18n.language),
                max: MAX_MESSAGE_LENGTH.toLocaleString(i18n.language),
              })
            : t("chat.charactersLeft", {
                count: MAX_MESSAGE_LENGTH - length,
                n: (MAX_MESSAGE_LENGTH - length).toLocaleString(i18n.language),
              })}
        </p>
      )}
      <div className="composer-row">
        {attachments && (
          <button
            type="button"
            className="icon-button"
            aria-label={t("chat.attach")}
            onClick={() => picker.current?.click()}
          >
            <Icon name="attach" />
          </button>
        )}
        <input
          ref={picker}
          type="file"
          multiple
          hidden
          data-testid="file-input"
          onChange={(event) => {
            if (event.target.files) attach(event.target.files);
            event.target.value = "";
          }}
        />
        <EmojiButton onPick={insert} />
        <label htmlFor={`composer-${conversationId}`} className="visually-hidden">
          {t("chat.placeholder")}
        </label>
        <textarea
          id={`composer-${conversationId}`}
          ref={input}
          rows={1}
          value={body}
          placeholder={t("chat.placeholder")}
          onChange={(event) => {
            typed(event.target.value);
          }}
          onKeyDown={keyDown}
          onPaste={paste}
          aria-invalid={tooLong}
          aria-describedby={length >= SHOW_COUNT_FROM ? `composer-count-${conversationId}` : undefined}
        />
        <button
          type="button"
          className="button send"
          onClick={send}
          disabled={disabled || uploading || (!body.trim() && ready.length === 0)}
          aria-label={t("common.send")}
        >
          <Icon name="send" size={20} />
          <span className="send-label">{t("common.send")}</span>
        </button>
      </div>
    </div>
  );
}
