import { type CliCommand, parseFlags } from '../../platform/cli.ts';
import { loadDemoDocuments, type SeededDemo, seedDemo } from './demo.service.ts';

/** The demo accounts' passwords, printed once when the demo is loaded. */
export function printDemoCredentials(seeded: SeededDemo): void {
  const lines = [
    'Demo data loaded. Sign in with one of these accounts (shown once — note them now):',
    ...seeded.users.map((user) => `  ${user.role.padEnd(16)} ${user.email.padEnd(28)} ${user.password}`),
  ];
  console.log(`\n${lines.join('\n')}\n`);
}

export const demoCommands: CliCommand[] = [
  {
    name: 'seed-demo',
    usage: `seed-demo                     Load the demo tenant, users and settings (once)`,
    async run(args, { config, withDatabase }) {
      parseFlags(args, {});
      const seeded = await withDatabase('seed-demo', async (runtime) => {
        const result = await seedDemo(
          runtime.db,
          config.demoPassword ? { password: config.demoPassword } : {},
        );
        if (result) {
          await loadDemoDocuments(runtime.db, result.tenantId, {
            limits: config.ingestion,
            embedder: runtime.embedder,
          });
        }
        return result;
      });
      if (seeded) printDemoCredentials(seeded);
      else console.log('Demo data was already loaded; nothing to do.');
    },
  },
];
