import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const REPOSITORY_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function childEnvironment(environment: Record<string, string>): NodeJS.ProcessEnv {
  // Start from the test runner's environment minus anything that would change the backend.
  const { DATABASE_URL: _database, REDIS_URL: _redis, NEXUS_DEMO_PASSWORD: _password, ...rest } = process.env;
  return { ...rest, LOG_LEVEL: 'warn', ...environment };
}

/** Runs `nexus <args>` as its own process, as a person would. */
export function runCli(
  args: string[],
  environment: Record<string, string> = {},
  input?: string,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      cwd: REPOSITORY_ROOT,
      env: childEnvironment(environment),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `nexus serve` and waits until it prints that it is ready. */
export function startServe(environment: Record<string, string>, timeoutMs = 60_000): Promise<ServeProcess> {
  return startNexus('serve', { PORT: '0', ...environment }, /Nexus is ready at (http:\/\/\S+) /, timeoutMs);
}

/** Starts `nexus worker` and waits until it says it is running. */
export function startWorker(environment: Record<string, string>, timeoutMs = 60_000): Promise<ServeProcess> {
  return startNexus('worker', environment, /Nexus worker is running()/, timeoutMs);
}

function startNexus(
  command: 'serve' | 'worker',
  environment: Record<string, string>,
  ready: RegExp,
  timeoutMs: number,
): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, command], {
      cwd: REPOSITORY_ROOT,
      env: childEnvironment(environment),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} did not become ready:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({
          child,
          url: match[1]!,
          output: () => output,
          stop: (signal = 'SIGTERM') => {
            child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code} before it was ready:\n${output}`));
    });
  });
}
