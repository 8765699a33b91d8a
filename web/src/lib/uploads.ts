// Uploading a file: a ticket from the server, then the bytes straight to storage.
import { api, unwrap } from "../api/client";

export interface UploadProgress {
  name: string;
  fraction: number;
}

/** Upload `file` (for a conversation, or for the avatar when none); its upload id. */
export async function uploadFile(
  file: File,
  conversationId: string | undefined,
  onProgress: (fraction: number) => void,
): Promise<string> {
  const ticket = unwrap(
    await api.POST("/api/uploads/", {
      body: {
        filename: file.name || "pasted-file",
        content_type: file.type || "application/octet-stream",
        size: file.size,
        conversation_id: conversationId,
      },
    }),
  );
  await new Promise<void>((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(ticket.method, ticket.url);
    for (const [name, value] of Object.entries(ticket.headers as Record<string, string>)) {
      request.setRequestHeader(name, value);
    }
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) resolve();
      else reject(new Error(`The upload failed (${request.status}).`));
    };
    request.onerror = () => {
      reject(new Error("The upload failed: no connection."));
    };
    request.send(file);
  });
  onProgress(1);
  return ticket.upload_id;
}
