/**
 * The time every decision is taken at, and every wait measured in. Injected, so tests run
 * in simulated time and a restart resumes deadlines against the same clock; production
 * uses the system clock.
 */
export abstract class Clock {
  abstract now(): Date;
  /** Resolves once `ms` of this clock's time have passed. */
  abstract sleep(ms: number): Promise<void>;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
  }
}

/**
 * A clock that moves only when told to. Sleepers wake in time order as it advances, so a
 * test can play days of platform activity in milliseconds, deterministically.
 */
export class SimulatedClock extends Clock {
  private current: number;
  private readonly sleepers: Array<{ at: number; wake: () => void }> = [];

  constructor(start: Date | string) {
    super();
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.sleepers.push({ at: this.current + ms, wake: resolve });
      this.sleepers.sort((a, b) => a.at - b.at);
    });
  }

  /** How many are asleep now. */
  get sleeping(): number {
    return this.sleepers.length;
  }

  /** When the earliest sleeper wakes; null when nobody sleeps. */
  nextWake(): Date | null {
    return this.sleepers.length > 0 ? new Date(this.sleepers[0].at) : null;
  }

  /**
   * Moves to `to` (never backwards), waking every sleeper due by then, earliest first,
   * the clock reading each one's wake time as it wakes.
   */
  async advanceTo(to: Date | string): Promise<void> {
    const target = new Date(to).getTime();
    while (this.sleepers.length > 0 && this.sleepers[0].at <= target) {
      const sleeper = this.sleepers.shift()!;
      this.current = Math.max(this.current, sleeper.at);
      sleeper.wake();
      // Let the woken code run before the next one wakes.
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.current = Math.max(this.current, target);
  }

  advance(ms: number): Promise<void> {
    return this.advanceTo(new Date(this.current + ms));
  }
}
