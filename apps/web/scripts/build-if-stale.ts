import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Builds the web app (vite build → apps/web/dist) when dist is missing or older than
 * any of its sources, so `npm start` and the browser tests always serve the current
 * app. Fast when up to date: it only compares modification times.
 */

export const WEB_ROOT = fileURLToPath(new URL('../', import.meta.url));
const REPOSITORY_ROOT = path.resolve(WEB_ROOT, '../..');
const BUILT_INDEX = path.join(WEB_ROOT, 'dist', 'index.html');
const SOURCES = [
  path.join(WEB_ROOT, 'index.html'),
  path.join(WEB_ROOT, 'vite.config.ts'),
  path.join(WEB_ROOT, 'package.json'),
  path.join(WEB_ROOT, 'src'),
  path.join(WEB_ROOT, 'public'),
  path.join(REPOSITORY_ROOT, 'packages', 'contracts', 'src'),
];

function newestModification(target: string): number {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file changes its directory
  for (const entry of readdirSync(target, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    newest = Math.max(newest, newestModification(path.join(target, entry.name)));
  }
  return newest;
}

export function isWebBuildStale(): boolean {
  if (!existsSync(BUILT_INDEX)) return true;
  const built = statSync(BUILT_INDEX).mtimeMs;
  return SOURCES.some((source) => newestModification(source) > built);
}

export type BuildOutcome = 'up-to-date' | 'built' | 'unavailable';

export async function buildWebIfStale(log: (line: string) => void = console.log): Promise<BuildOutcome> {
  if (!isWebBuildStale()) return 'up-to-date';
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    log(
      existsSync(BUILT_INDEX)
        ? 'The web app sources changed but Vite is not installed (npm ci installs it); serving the existing build.'
        : 'The web app is not built and Vite is not installed (npm ci installs it); / shows the API landing page.',
    );
    return 'unavailable';
  }
  const started = performance.now();
  log('Building the web app (apps/web → apps/web/dist)…');
  await vite.build({ root: WEB_ROOT, configFile: path.join(WEB_ROOT, 'vite.config.ts'), logLevel: 'warn' });
  log(`Web app built in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  return 'built';
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildWebIfStale().catch((error: unknown) => {
    console.error('The web app build failed:', error);
    process.exit(1);
  });
}
