/**
 * Child process of the platform crash and shutdown tests: the real server as `main.ts`
 * runs it (`serve`: configured from the environment, DATA_DIR, PORT, PLATFORM_RUNTIME,
 * DRIVER_LATENCY_SCALE…, with the same SIGTERM handling), on 127.0.0.1 and `PORT` (0: any
 * free port). Prints `ready <port>` once it listens, then runs until it is stopped or killed.
 */
import 'reflect-metadata';
import { writeSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve } from '../../src/bootstrap';

async function main(): Promise<void> {
  const app = await serve('127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  // Synchronous, on a line of its own: the parent reads it among the JSON log lines.
  writeSync(1, `\nready ${port}\n`);
}

main().catch((error: unknown) => {
  writeSync(2, `platform-child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
