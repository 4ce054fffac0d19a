import { purgeExpiredRefreshTokensJob } from './modules/maintenance/maintenance.jobs.ts';
import type { AnyJobDefinition } from './platform/queue.ts';

/** Every job the worker runs. Add a module's jobs here. */
export const JOB_DEFINITIONS: AnyJobDefinition[] = [purgeExpiredRefreshTokensJob];
