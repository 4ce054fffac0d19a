import type { Worker } from 'node:worker_threads';

/**
 * Resolves once a new worker thread posts `{ ready: true }`; rejects with `describe(reason)`
 * if it fails or exits first. Listeners are removed either way.
 */
export function waitForWorkerReady(worker: Worker, describe: (reason: string) => Error): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onMessage = (message: { ready?: boolean }) => {
      if (!message?.ready) return;
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      cleanup();
      reject(describe(error.message));
    };
    const onExit = (code: number) => {
      cleanup();
      reject(describe(`its thread exited with code ${code}`));
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
