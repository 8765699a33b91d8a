/**
 * The directory's first page, inlined by the server into index.html on a first visit to it
 * (handlers/webapp.py): read once, then kept, so the cards show as soon as the app runs.
 */
let inlined: unknown = null;
let read = false;

export function inlinedFirstPage(): unknown {
  if (!read) {
    read = true;
    const text = document.getElementById("hypee-first-page")?.textContent;
    try {
      inlined = text ? JSON.parse(text) : undefined;
    } catch {
      inlined = undefined;
    }
  }
  return inlined ?? undefined;
}
