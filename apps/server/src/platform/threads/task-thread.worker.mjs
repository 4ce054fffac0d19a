// Bootstrap of a task thread (task-thread.ts): loads the TypeScript module named in
// workerData through tsx's loader (a worker thread does not inherit the module hooks of
// the process that started it, on Node 20) and answers each task message with the
// module's `runTask` result, or the error's name, code and message.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { runTask } = await import(workerData.module);
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);

port.on('message', async (message) => {
  try {
    const { result, transfer } = await runTask(message.task);
    port.postMessage({ id: message.id, ok: true, result }, transfer ?? []);
  } catch (error) {
    const fields = /** @type {{ name?: string, code?: string, message?: string }} */ (error ?? {});
    port.postMessage({
      id: message.id,
      ok: false,
      error: { name: fields.name ?? 'Error', code: fields.code, message: fields.message ?? String(error) },
    });
  }
});
port.postMessage({ ready: true });
