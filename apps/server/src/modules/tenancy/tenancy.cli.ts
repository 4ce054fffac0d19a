import { type CliCommand, parseFlags, requireFlag } from '../../platform/cli.ts';
import { createTenantInTransaction, DEFAULT_TAXONOMY } from './tenancy.service.ts';

export const tenancyCommands: CliCommand[] = [
  {
    name: 'tenant create',
    usage: `tenant create --slug S --name N [--empty-taxonomy]
                                Create a tenant (with the demo's regions and departments
                                unless --empty-taxonomy)`,
    async run(args, { withDatabase }) {
      const flags = parseFlags(args, {
        slug: { type: 'string' },
        name: { type: 'string' },
        'empty-taxonomy': { type: 'boolean' },
      });
      const slug = requireFlag(flags, 'slug');
      const name = requireFlag(flags, 'name');
      const tenant = await withDatabase('tenant create', (runtime) =>
        createTenantInTransaction(runtime.db, {
          slug,
          name,
          taxonomy: flags['empty-taxonomy'] ? [] : DEFAULT_TAXONOMY,
        }),
      );
      console.log(`Created tenant ${tenant.slug} (${tenant.id}).`);
    },
  },
];
