import { logContextFields, PROCESS_CORRELATION_ID, runWithLogContext, runWithoutLogContext } from './log-context';

describe('log context', () => {
  it('gives lines outside any unit of work the one id of the process', () => {
    expect(PROCESS_CORRELATION_ID).toMatch(/^process:[0-9a-f-]{36}$/);
    expect(logContextFields()).toEqual({ correlation_id: PROCESS_CORRELATION_ID });
  });

  it('follows the work through awaits and timers, and ends with it', async () => {
    const seen = await runWithLogContext({ correlationId: 'req-1', actor: 'owner:alice' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      const later = await new Promise((resolve) => setImmediate(() => resolve(logContextFields())));
      return [logContextFields(), later];
    });
    expect(seen).toEqual([
      { correlation_id: 'req-1', actor: 'owner:alice' },
      { correlation_id: 'req-1', actor: 'owner:alice' },
    ]);
    expect(logContextFields()).toEqual({ correlation_id: PROCESS_CORRELATION_ID });
  });

  it('reads an actor given as a getter when the line is written (a request is authenticated after it starts)', () => {
    let actor: string | undefined;
    runWithLogContext({ correlationId: 'req-2', get actor() { return actor; } }, () => {
      expect(logContextFields()).toEqual({ correlation_id: 'req-2' });
      actor = 'support:sam';
      expect(logContextFields()).toEqual({ correlation_id: 'req-2', actor: 'support:sam' });
    });
  });

  it('keeps nested units apart, and can step outside them', () => {
    runWithLogContext({ correlationId: 'outer' }, () => {
      runWithLogContext({ correlationId: 'inner' }, () => expect(logContextFields().correlation_id).toBe('inner'));
      expect(logContextFields().correlation_id).toBe('outer');
      runWithoutLogContext(() => expect(logContextFields().correlation_id).toBe(PROCESS_CORRELATION_ID));
    });
  });
});
