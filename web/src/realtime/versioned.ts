/**
 * What React reads with useSyncExternalStore: listeners, and a version that changes whenever
 * anything held changes. Subclasses call `changed()` after each change.
 */
export class Versioned {
  private listeners = new Set<() => void>();
  private version = 0;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getVersion = (): number => this.version;

  protected changed(): void {
    this.version += 1;
    this.listeners.forEach((listener) => {
      listener();
    });
  }
}
