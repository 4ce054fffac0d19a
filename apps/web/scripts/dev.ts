import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { WEB_ROOT } from './build-if-stale.ts';

/**
 * `npm run dev`: the API (`nexus serve`, restarted when server code changes) and the Vite
 * dev server (hot reload) proxying /api, /v1, /ws and the tooling routes to it.
 * PORT sets the API port (default 8080); WEB_PORT the Vite port (default 5173).
 */

const REPOSITORY_ROOT = path.resolve(WEB_ROOT, '../..');
const apiPort = process.env.PORT ?? '8080';
const webPort = Number(process.env.WEB_PORT ?? 5173);
const apiUrl = `http://127.0.0.1:${apiPort}`;
process.env.NEXUS_API_URL = apiUrl;

const api: ChildProcess = spawn(
  process.execPath,
  ['--import', 'tsx', '--watch', path.join(REPOSITORY_ROOT, 'apps/server/src/main.ts'), 'serve'],
  { cwd: REPOSITORY_ROOT, stdio: 'inherit', env: { ...process.env, PORT: apiPort } },
);

const { createServer } = await import('vite');
const vite = await createServer({
  root: WEB_ROOT,
  configFile: path.join(WEB_ROOT, 'vite.config.ts'),
  server: { port: webPort },
});
await vite.listen();
console.log(`\nWeb app with hot reload: http://127.0.0.1:${webPort}  (API: ${apiUrl})\n`);

let isStopping = false;
async function stop(code: number) {
  if (isStopping) return;
  isStopping = true;
  await vite.close().catch(() => undefined);
  if (api.exitCode === null) api.kill('SIGTERM');
  process.exit(code);
}
api.on('exit', (code) => void stop(code ?? 0));
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
