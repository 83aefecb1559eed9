import { formatReport, runChaos } from './chaos';

/*
 * The short version of `npm run chaos`: the real server in a child process, 300 requests
 * of every kind from 8 clients, two SIGKILLs at random points with restarts, keyed writes
 * sent again after each; then nothing lost or duplicated, the read models equal to a
 * replay, every flow finished, every webhook delivered.
 */
describe('chaos: the platform under concurrent clients and SIGKILL', () => {
  it('loses nothing, duplicates nothing, leaves nothing stuck or undelivered, and its read models equal a replay', async () => {
    const report = await runChaos({ commands: 300, kills: 2, concurrency: 8, seed: 20250301, settleTimeoutMs: 40_000 });
    console.log(formatReport(report));

    // The run did what it says: both kills, requests cut by them, writes answered, repeats, deliveries.
    expect(report.kills).toBe(2);
    expect(report.commands.sent).toBe(300);
    expect(report.commands.ok).toBeGreaterThan(100);
    expect(report.commands.unanswered).toBeGreaterThan(0);
    expect(report.repeats.sent).toBeGreaterThan(0);
    expect(report.repeats.replayed).toBeGreaterThan(0);
    expect(report.events).toBeGreaterThan(100);
    expect(report.webhooks.expected).toBeGreaterThan(100);

    expect(report.settled ? [] : report.pendingAtDeadline).toEqual([]);
    expect(report.lost).toEqual([]);
    expect(report.duplicated).toEqual([]);
    expect(report.readModelDifferences).toBe(0);
    expect(report.stuck).toEqual([]);
    expect(report.webhooks.undelivered).toEqual([]);
    expect(report.webhooks.errors).toEqual([]);
    expect(report.passed).toBe(true);
  }, 120_000);
});
