import 'reflect-metadata';
import { serve } from './bootstrap';
import { PROCESS_CORRELATION_ID } from './shared/logging/log-context';

serve().catch((error: unknown) => {
  // Before the logger exists: one JSON line with the reason (config errors never carry values), and stop.
  const msg = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${JSON.stringify({ level: 60, time: Date.now(), correlation_id: PROCESS_CORRELATION_ID, msg })}\n`);
  process.exit(1);
});
