import { isMainThread, threadId } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskError, TaskThread, TaskThreadFailure } from './task-thread.ts';

type SampleTask = { kind: 'echo' | 'throw' | 'spin' | 'allocate'; value?: string };
const threads: TaskThread<SampleTask, { value: string; threadId: number }>[] = [];
function sampleThread(options: { timeoutMs?: number; maxHeapMb?: number } = {}) {
  const thread = new TaskThread<SampleTask, { value: string; threadId: number }>({
    module: new URL('./fixtures/sample.task.ts', import.meta.url),
    timeoutMs: options.timeoutMs ?? 20_000,
    ...(options.maxHeapMb ? { maxHeapMb: options.maxHeapMb } : {}),
  });
  threads.push(thread);
  return thread;
}

afterEach(async () => {
  await Promise.all(threads.splice(0).map((thread) => thread.close()));
});

describe('TaskThread', () => {
  it('runs TypeScript tasks in another thread, one after another, in order', async () => {
    expect(isMainThread).toBe(true);
    const thread = sampleThread();
    const results = await Promise.all(['a', 'b', 'c'].map((value) => thread.run({ kind: 'echo', value })));
    expect(results.map((result) => result.value)).toEqual(['a', 'b', 'c']);
    expect(new Set(results.map((result) => result.threadId)).size).toBe(1);
    expect(results[0]!.threadId).not.toBe(threadId);
  });

  it("rebuilds the task's own error with its name, code and message, and keeps the thread", async () => {
    const thread = sampleThread();
    const first = await thread.run({ kind: 'echo', value: 'x' });
    const error = await thread.run({ kind: 'throw', value: 'this' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TaskError);
    expect(error).toMatchObject({ name: 'RangeError', code: 'sample_code', message: 'refused this' });
    expect((await thread.run({ kind: 'echo', value: 'y' })).threadId).toBe(first.threadId);
  });

  it('stops a task that runs past its time, and the next task gets a fresh thread', async () => {
    const thread = sampleThread({ timeoutMs: 1_500 });
    const first = await thread.run({ kind: 'echo', value: 'before' });
    const started = Date.now();
    const error = await thread.run({ kind: 'spin' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TaskThreadFailure);
    expect((error as TaskThreadFailure).reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(10_000);
    const after = await thread.run({ kind: 'echo', value: 'after' });
    expect(after.value).toBe('after');
    expect(after.threadId).not.toBe(first.threadId);
  });

  it('fails a task that exhausts the heap ceiling without taking the process down', async () => {
    const thread = sampleThread({ maxHeapMb: 64 });
    const error = await thread.run({ kind: 'allocate' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TaskThreadFailure);
    expect((error as TaskThreadFailure).reason).toBe('out_of_memory');
    expect((await thread.run({ kind: 'echo', value: 'alive' })).value).toBe('alive');
  });
});
