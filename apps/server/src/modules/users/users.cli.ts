import {
  type CliCommand,
  optionalFlag,
  parseFlags,
  readStandardInput,
  requireFlag,
  tenantFlag,
  UsageError,
} from '../../platform/cli.ts';
import { requireTenant } from '../tenancy/tenancy.service.ts';
import { createUser, ROLES, roleSchema, setUserRole } from './users.service.ts';

function parseRole(value: string) {
  const parsed = roleSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`Unknown role "${value}"; use one of ${ROLES.join(', ')}`);
  return parsed.data;
}

export const userCommands: CliCommand[] = [
  {
    name: 'user create',
    usage: `user create --email E --password P --role R --department REGION/DEPT [--tenant SLUG] [--name NAME]
                                Create a user; --password - reads it from standard input`,
    async run(args, { withDatabase }) {
      const flags = parseFlags(args, {
        email: { type: 'string' },
        password: { type: 'string' },
        role: { type: 'string' },
        department: { type: 'string' },
        tenant: { type: 'string' },
        name: { type: 'string' },
      });
      const email = requireFlag(flags, 'email');
      const role = parseRole(requireFlag(flags, 'role'));
      const department = requireFlag(flags, 'department');
      let password = requireFlag(flags, 'password');
      if (password === '-') password = await readStandardInput();
      const tenantSlug = tenantFlag(flags);
      const displayName = optionalFlag(flags, 'name');
      const user = await withDatabase('user create', (runtime) =>
        runtime.db.transaction(async (trx) => {
          const tenant = await requireTenant(trx, tenantSlug);
          return createUser(trx, {
            tenantId: tenant.id,
            email,
            password,
            role,
            department,
            ...(displayName ? { displayName } : {}),
          });
        }),
      );
      console.log(`Created ${user.role} ${user.email} (${user.id}) in tenant ${tenantSlug}.`);
    },
  },
  {
    name: 'user set-role',
    usage: `user set-role --email E --role R [--tenant SLUG]
                                Change a user's role`,
    async run(args, { withDatabase }) {
      const flags = parseFlags(args, {
        email: { type: 'string' },
        role: { type: 'string' },
        tenant: { type: 'string' },
      });
      const email = requireFlag(flags, 'email');
      const role = parseRole(requireFlag(flags, 'role'));
      const tenantSlug = tenantFlag(flags);
      const result = await withDatabase('user set-role', (runtime) =>
        runtime.db.transaction(async (trx) => {
          const tenant = await requireTenant(trx, tenantSlug);
          return setUserRole(trx, { tenantId: tenant.id, email, role });
        }),
      );
      console.log(`${result.user.email}: ${result.previousRole} → ${result.user.role}.`);
    },
  },
];
