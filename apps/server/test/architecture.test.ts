import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkArchitecture } from '../scripts/architecture.ts';

/**
 * The seams of apps/server/src (scripts/architecture.ts): the real tree keeps them, and a
 * tree with planted violations is caught, each by its rule.
 */

const REPOSITORY_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURE = `apps/server/test/.architecture-${process.pid}`;

afterAll(async () => {
  await rm(path.join(REPOSITORY_ROOT, FIXTURE), { recursive: true, force: true });
});

async function plant(files: Record<string, string>): Promise<string> {
  const src = `${FIXTURE}/src`;
  for (const [file, text] of Object.entries(files)) {
    const full = path.join(REPOSITORY_ROOT, src, file);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, text);
  }
  return src;
}

describe('architecture', () => {
  it('apps/server/src keeps its seams: layers, modules meeting through services, no cycles', async () => {
    expect(await checkArchitecture('apps/server/src')).toEqual([]);
  }, 120_000);

  it('catches each kind of planted violation', async () => {
    const src = await plant({
      'modules/alpha/alpha.repository.ts': 'export const rows = () => [];\n',
      // A route with SQL that imports a repository.
      'modules/alpha/alpha.routes.ts':
        "import { rows } from './alpha.repository.ts';\nexport const route = (db: { kysely: unknown }) => [db.kysely, rows()];\n",
      // Two modules' services importing each other: a module cycle (and a file cycle).
      'modules/alpha/alpha.service.ts':
        "import { beta } from '../beta/beta.service.ts';\nexport const alpha = () => beta;\n",
      'modules/beta/beta.service.ts':
        "import { alpha } from '../alpha/alpha.service.ts';\nexport const beta = () => alpha;\n",
      // A module reaching into another module's repository.
      'modules/beta/beta.routes.ts':
        "import { rows } from '../alpha/alpha.repository.ts';\nexport const route = rows;\n",
      // Infrastructure importing a module.
      'platform/thing.ts':
        "import { beta } from '../modules/beta/beta.service.ts';\nexport const thing = beta;\n",
    });
    const violations = await checkArchitecture(src);
    const rules = new Set(violations.map((violation) => violation.rule));
    expect([...rules].sort()).toEqual([
      'modules-meet-through-services',
      'no-file-cycles',
      'no-module-cycles',
      'platform-knows-no-module',
      'routes-import-no-repository',
      'routes-run-no-sql',
    ]);
    expect(violations).toContainEqual(
      expect.objectContaining({ rule: 'no-module-cycles', from: 'modules/alpha ↔ modules/beta' }),
    );
    expect(violations).toContainEqual(
      expect.objectContaining({
        rule: 'modules-meet-through-services',
        from: `${src}/modules/beta/beta.routes.ts`,
        to: `${src}/modules/alpha/alpha.repository.ts`,
      }),
    );
  }, 120_000);
});
