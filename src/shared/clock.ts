/**
 * The time every decision is taken at. Injected, so tests (and later the scheduler's
 * simulated runs) control it; production uses the system clock.
 */
export abstract class Clock {
  abstract now(): Date;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
