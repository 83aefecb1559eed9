import 'reflect-metadata';
import { AppConfig } from './config/app-config';
import { createApp } from './bootstrap';

async function main(): Promise<void> {
  const app = await createApp();
  await app.listen(app.get(AppConfig).port);
}

main().catch((error: unknown) => {
  // Before the logger exists: print the reason (config errors never carry values) and stop.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
