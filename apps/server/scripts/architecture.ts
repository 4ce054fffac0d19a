/**
 * The server's seams, checked by `npm test` (`npm run check:architecture`):
 *
 * - routes → service → repository → platform: a route file imports no repository and no
 *   other route file, builds no query and opens no transaction (no kysely, no
 *   tenant-scope import, no `db.kysely` / `.transaction(` / SQL in its text);
 * - modules meet through services: a module imports another module's `*.service.ts` or
 *   `*.types.ts` only (the leaf `access` module's SQL filter is the one thing a repository
 *   may take from elsewhere);
 * - repositories hold SQL only: they import no service, route or job;
 * - platform/ and config.ts import no module;
 * - no import cycle, neither between files nor between modules (modules/<name>, platform,
 *   and each file at the root of src/).
 *
 * Dependencies are read by dependency-cruiser (type-only imports included). Usage:
 *   node --import tsx apps/server/scripts/architecture.ts [src-directory]
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IForbiddenRuleType } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

export interface Violation {
  rule: string;
  from: string;
  to?: string;
  detail?: string;
}

const REPOSITORY_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The rules for a source tree at `src` (a path relative to the repository root). */
export function forbiddenRules(src: string): IForbiddenRuleType[] {
  const root = `^${escapeRegExp(src)}/`;
  const modules = `${root}modules/`;
  return [
    { name: 'no-file-cycles', severity: 'error', from: { path: root }, to: { circular: true } },
    {
      name: 'routes-import-no-repository',
      severity: 'error',
      from: { path: '\\.routes\\.ts$' },
      to: { path: '\\.repository\\.ts$' },
    },
    {
      name: 'routes-import-no-routes',
      severity: 'error',
      from: { path: '\\.routes\\.ts$' },
      to: { path: '\\.routes\\.ts$' },
    },
    {
      name: 'routes-build-no-sql',
      severity: 'error',
      from: { path: '\\.routes\\.ts$' },
      to: {
        path: ['(^|/)node_modules/kysely/', 'platform/db/tenant-scope\\.ts$'],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'modules-meet-through-services',
      severity: 'error',
      from: { path: `${modules}([^/]+)/` },
      to: { path: modules, pathNot: [`${modules}$1/`, '\\.service\\.ts$', '\\.types\\.ts$'] },
    },
    {
      name: 'repositories-are-leaves',
      severity: 'error',
      from: { path: '\\.repository\\.ts$' },
      to: { path: '\\.(service|routes|jobs)\\.ts$', pathNot: 'modules/access/access\\.service\\.ts$' },
    },
    {
      name: 'platform-knows-no-module',
      severity: 'error',
      from: { path: `${root}(platform/|config\\.ts$)` },
      to: { path: modules },
    },
  ];
}

/** Text that means a route talks to the database itself. */
const ROUTE_SQL = [
  /\bdb\.kysely\b/,
  /\.transaction\(/,
  /\bexecuteSql\(/,
  /\b(selectFrom|insertInto|updateTable|deleteFrom)\(/,
  /\bsql`/,
];

/** The module a file belongs to: modules/<name>, platform, or the root file itself. */
function moduleOf(file: string, src: string): string {
  const relative = path.posix.relative(src, file);
  const [first, second] = relative.split('/');
  if (first === 'modules' && second) return `modules/${second}`;
  if (first === 'platform') return 'platform';
  return relative;
}

/** Strongly connected components of more than one node (Tarjan). */
function cycles(edges: Map<string, Set<string>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** Every violation of the seams in the tree at `src` (relative to the repository root). */
export async function checkArchitecture(src = 'apps/server/src'): Promise<Violation[]> {
  const previousDirectory = process.cwd();
  process.chdir(REPOSITORY_ROOT);
  try {
    const result = await cruise(
      [src],
      {
        ruleSet: { forbidden: forbiddenRules(src) },
        validate: true,
        includeOnly: `^${escapeRegExp(src)}/`,
        exclude: { path: ['\\.test\\.ts$'] },
        tsPreCompilationDeps: true,
        combinedDependencies: true,
        doNotFollow: { path: 'node_modules' },
        tsConfig: { fileName: 'tsconfig.json' },
      },
      {},
      { tsConfig: extractTSConfig('tsconfig.json') },
    );
    const output = result.output as ICruiseResult;
    const violations: Violation[] = output.summary.violations.map((violation) => ({
      rule: violation.rule.name,
      from: violation.from,
      to: violation.to,
    }));

    const edges = new Map<string, Set<string>>();
    for (const module of output.modules) {
      const from = moduleOf(module.source, src);
      if (!edges.has(from)) edges.set(from, new Set());
      for (const dependency of module.dependencies) {
        if (!dependency.resolved.startsWith(`${src}/`)) continue;
        const to = moduleOf(dependency.resolved, src);
        if (to !== from) edges.get(from)!.add(to);
      }
      if (/\.routes\.ts$/.test(module.source)) {
        const text = await readFile(path.join(REPOSITORY_ROOT, module.source), 'utf8');
        for (const pattern of ROUTE_SQL) {
          if (pattern.test(text)) {
            violations.push({ rule: 'routes-run-no-sql', from: module.source, detail: String(pattern) });
          }
        }
      }
    }
    for (const component of cycles(edges)) {
      violations.push({ rule: 'no-module-cycles', from: component.join(' ↔ ') });
    }
    return violations;
  } finally {
    process.chdir(previousDirectory);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const src = process.argv[2] ?? 'apps/server/src';
  const violations = await checkArchitecture(src);
  if (violations.length === 0) {
    console.log(`architecture: ${src} keeps its seams (no violations)`);
  } else {
    console.error(`architecture: ${violations.length} violation(s) in ${src}:`);
    for (const violation of violations) {
      console.error(
        `  ${violation.rule}: ${violation.from}${violation.to ? ` → ${violation.to}` : ''}${violation.detail ? ` (${violation.detail})` : ''}`,
      );
    }
    process.exitCode = 1;
  }
}
