import { setTimeout as sleep } from 'node:timers/promises';
import { bearer } from './accounts.ts';
import type { TestApp } from './app.ts';

/** Polls GET /api/v1/jobs/:id until the job succeeded or failed (30 s at most); returns it. */
export async function waitForJob(test: TestApp, token: string, jobId: string) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const job = (await test.app.inject({ url: `/api/v1/jobs/${jobId}`, headers: bearer(token) })).json();
    if (job.status === 'succeeded' || job.status === 'failed') return job;
    await sleep(200);
  }
  throw new Error(`job ${jobId} did not finish`);
}
