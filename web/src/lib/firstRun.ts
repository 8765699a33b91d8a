// Whether someone has just made their account (the first-run hint shows until dismissed).
const KEY = "hypee.first-run";

export function markFirstRun(userId: string): void {
  localStorage.setItem(KEY, userId);
}

export function isFirstRun(userId: string): boolean {
  return localStorage.getItem(KEY) === userId;
}

export function endFirstRun(): void {
  localStorage.removeItem(KEY);
}
