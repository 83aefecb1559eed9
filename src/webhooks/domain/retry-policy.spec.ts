import { nextAttemptAt } from './retry-policy';

describe('nextAttemptAt', () => {
  const policy = { baseMs: 1_000, maxMs: 60_000, retryForMs: 3_600_000 };
  const T0 = 1_700_000_000_000;

  it('waits between half and all of an exponential delay, doubling from the base up to the cap', () => {
    expect(nextAttemptAt(policy, T0, T0, 1, 0)).toBe(T0 + 500);
    expect(nextAttemptAt(policy, T0, T0, 1, 0.999_999)).toBe(T0 + 1_000);
    expect(nextAttemptAt(policy, T0, T0, 2, 0)).toBe(T0 + 1_000);
    expect(nextAttemptAt(policy, T0, T0, 4, 0)).toBe(T0 + 4_000);
    expect(nextAttemptAt(policy, T0, T0, 7, 0.5)).toBe(T0 + 45_000); // capped at 60 s: 30 s + 15 s
    expect(nextAttemptAt(policy, T0, T0, 500, 0.5)).toBe(T0 + 45_000); // no overflow far out
  });

  it('jitter spreads deliveries that failed together', () => {
    const draws = [0, 0.25, 0.5, 0.75].map((r) => nextAttemptAt(policy, T0, T0, 3, r));
    expect(new Set(draws).size).toBe(4);
  });

  it('dead-letters (null) once the next attempt would fall past the retry window', () => {
    expect(nextAttemptAt(policy, T0, T0 + 3_500_000, 20, 0)).toBe(T0 + 3_530_000);
    expect(nextAttemptAt(policy, T0, T0 + 3_590_000, 20, 0)).toBeNull();
    expect(nextAttemptAt({ ...policy, retryForMs: 0 }, T0, T0, 1, 0)).toBeNull();
  });
});
