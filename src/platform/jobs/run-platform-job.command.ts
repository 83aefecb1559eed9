import type { ClaimedJob } from '../runtime/runtime-store';

/** Runs one stored job (see PlatformJob). */
export class RunPlatformJobCommand {
  constructor(readonly job: ClaimedJob) {}
}
