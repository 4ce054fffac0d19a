import { type CliCommand, parseFlags, requireFlag, tenantFlag, UsageError } from '../../platform/cli.ts';
import { requireTenant } from '../tenancy/tenancy.service.ts';
import { createApiKey } from './api-keys.service.ts';

export const apiKeyCommands: CliCommand[] = [
  {
    name: 'apikey create',
    usage: `apikey create --name N [--tenant SLUG] [--rate-limit PER_MINUTE]
                                Create an API key; the key is printed once, on the last line`,
    async run(args, { withDatabase }) {
      const flags = parseFlags(args, {
        name: { type: 'string' },
        tenant: { type: 'string' },
        'rate-limit': { type: 'string' },
      });
      const name = requireFlag(flags, 'name');
      const rateLimitText = flags['rate-limit'];
      let rateLimit: number | null = null;
      if (typeof rateLimitText === 'string') {
        rateLimit = Number(rateLimitText);
        if (!Number.isInteger(rateLimit) || rateLimit < 1)
          throw new UsageError('--rate-limit must be a whole number ≥ 1');
      }
      const tenantSlug = tenantFlag(flags);
      const created = await withDatabase('apikey create', (runtime) =>
        runtime.db.transaction(async (trx) => {
          const tenant = await requireTenant(trx, tenantSlug);
          return createApiKey(trx, { tenantId: tenant.id, name, rateLimitPerMinute: rateLimit });
        }),
      );
      console.log(
        `Created API key "${created.apiKey.name}" (prefix ${created.apiKey.prefix}) in tenant ${tenantSlug}. Store it now; it is not shown again:`,
      );
      console.log(created.key);
    },
  },
];
