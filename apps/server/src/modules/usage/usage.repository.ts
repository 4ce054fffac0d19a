import { type RawBuilder, sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';

/**
 * Token spend: a reporting read over answers (chat's messages and conversations) with the
 * names of who asked (users, API keys, departments) — sums only, never content.
 */

export type UsageGroup = 'user' | 'department' | 'model' | 'mode' | 'day';

const GROUPS: Record<UsageGroup, { key: RawBuilder<string | null>; label: RawBuilder<string> }> = {
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

export interface UsageRow {
  key: string | null;
  label: string;
  answers: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

/** Answers, tokens and cost per group over [from, to). */
export async function sumUsage(
  executor: Executor,
  tenantId: string,
  range: { from: Date; to: Date; groupBy: UsageGroup },
): Promise<UsageRow[]> {
  const group = GROUPS[range.groupBy];
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
    WHERE messages.tenant_id = ${tenantId} AND messages.role = 'assistant'
      AND messages.created_at >= ${range.from} AND messages.created_at < ${range.to}
    GROUP BY 1, 2
    ORDER BY ${range.groupBy === 'day' ? sql`1` : sql`cost_usd DESC, answers DESC`}, 2`.execute(executor);
  return result.rows;
}
