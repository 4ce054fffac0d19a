import { tokenUsageQuerySchema, tokenUsageSchema } from '@nexus/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { type RawBuilder, sql } from 'kysely';
import { runAsTenant } from '../../platform/db/tenant-scope.ts';
import { AppError } from '../../platform/errors.ts';
import { requireUser } from '../auth/access.ts';

/** Token spend of a tenant's answers, grouped for the admin's usage page (DESIGN.md §9). */

const DAY_MS = 86_400_000;

const GROUPS: Record<string, { key: RawBuilder<string | null>; label: RawBuilder<string> }> = {
  user: {
    key: sql`coalesce(conversations.user_id::text, 'api_key:' || conversations.api_key_id::text)`,
    label: sql`coalesce(users.email, 'API key ' || api_keys.name, 'unknown')`,
  },
  department: {
    key: sql`regions.code || '/' || departments.code`,
    label: sql`coalesce(regions.code || '/' || departments.code, CASE WHEN conversations.api_key_id IS NOT NULL THEN 'API keys' ELSE 'no department' END)`,
  },
  model: {
    key: sql`coalesce(messages.provider || ':' || messages.model, 'none')`,
    label: sql`coalesce(messages.provider || ':' || messages.model, 'no model (refusal without retrieval hits)')`,
  },
  mode: { key: sql`conversations.mode`, label: sql`conversations.mode` },
  day: {
    key: sql`to_char(date_trunc('day', messages.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')`,
    label: sql`to_char(date_trunc('day', messages.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')`,
  },
};

interface UsageRow {
  key: string | null;
  label: string;
  answers: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

export const registerUsageRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  app.get(
    '/api/metrics/tokens',
    {
      config: { access: { role: 'super_admin' } },
      schema: {
        tags: ['admin'],
        summary: 'Tokens and cost of answers, grouped by user, department, model, mode or day',
        querystring: tokenUsageQuerySchema,
        response: { 200: tokenUsageSchema },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const to = request.query.to ? new Date(request.query.to) : new Date();
      const from = request.query.from ? new Date(request.query.from) : new Date(to.getTime() - 30 * DAY_MS);
      if (from >= to) throw new AppError('bad_request:range', '`from` must be before `to`.');
      const group = GROUPS[request.query.group_by]!;
      const rows = await runAsTenant(db, user.tenantId, async (trx) => {
        const result = await sql<UsageRow>`
          SELECT ${group.key} AS key, ${group.label} AS label,
                 count(*)::int AS answers,
                 coalesce(sum(messages.input_tokens), 0)::int AS input_tokens,
                 coalesce(sum(messages.output_tokens), 0)::int AS output_tokens,
                 coalesce(sum(messages.cost_usd), 0)::float8 AS cost_usd
          FROM messages
          JOIN conversations ON conversations.id = messages.conversation_id AND conversations.tenant_id = messages.tenant_id
          LEFT JOIN users ON users.id = conversations.user_id AND users.tenant_id = conversations.tenant_id
          LEFT JOIN api_keys ON api_keys.id = conversations.api_key_id AND api_keys.tenant_id = conversations.tenant_id
          LEFT JOIN departments ON departments.id = users.department_id
          LEFT JOIN regions ON regions.id = departments.region_id
          WHERE messages.tenant_id = ${user.tenantId} AND messages.role = 'assistant'
            AND messages.created_at >= ${from} AND messages.created_at < ${to}
          GROUP BY 1, 2
          ORDER BY ${request.query.group_by === 'day' ? sql`1` : sql`cost_usd DESC, answers DESC`}, 2`.execute(
          trx,
        );
        return result.rows;
      });
      const totals = rows.reduce(
        (sum, row) => ({
          answers: sum.answers + row.answers,
          input_tokens: sum.input_tokens + row.input_tokens,
          output_tokens: sum.output_tokens + row.output_tokens,
          cost_usd: sum.cost_usd + row.cost_usd,
        }),
        { answers: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 },
      );
      return {
        group_by: request.query.group_by,
        from: from.toISOString(),
        to: to.toISOString(),
        rows,
        totals,
      };
    },
  );
};
