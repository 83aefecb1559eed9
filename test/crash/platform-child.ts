/**
 * Child process of the platform crash test: the real application, configured from the
 * environment as `main.ts` is (DATA_DIR, PORT, PLATFORM_RUNTIME, DRIVER_LATENCY_SCALE…),
 * listening on `PORT` (0: any free port). Prints `ready <port>` once it listens, then runs
 * until it is killed.
 */
import 'reflect-metadata';
import { writeSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/bootstrap';

async function main(): Promise<void> {
  const app = await createApp();
  await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  // Synchronous, on a line of its own: the parent reads it among the JSON log lines.
  writeSync(1, `\nready ${port}\n`);
}

main().catch((error: unknown) => {
  writeSync(2, `platform-child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
