/**
 * Tells waiting subscriptions that a commit happened. A waiter passes the version it saw
 * before reading, so a commit that lands between its read and its wait is not missed.
 */
export class CommitSignal {
  private current = 0;
  private readonly waiters = new Set<() => void>();

  get version(): number {
    return this.current;
  }

  bump(): void {
    this.current++;
    this.wakeAll();
  }

  wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** Resolves on the next commit or wake, at once if one happened since `seen`, or after `timeoutMs`. */
  waitForChange(seen: number, timeoutMs: number): Promise<void> {
    if (this.current !== seen) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }
}
