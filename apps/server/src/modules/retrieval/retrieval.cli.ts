import { Presets, SingleBar } from 'cli-progress';
import { type CliCommand, parseFlags, tenantFlag, UsageError } from '../../platform/cli.ts';
import { requireTenant } from '../tenancy/tenancy.service.ts';
import { evaluateBeir } from './eval.service.ts';
import { searchPassages } from './retrieval.service.ts';

export const retrievalCommands: CliCommand[] = [
  {
    name: 'search',
    usage: `search "<query>" [--tenant SLUG] [--top-k N]
                                Ranked passages across the tenant (as a super admin sees them)`,
    async run(args, { withDatabase }) {
      const [query, ...rest] = args;
      const flags = parseFlags(rest, { tenant: { type: 'string' }, 'top-k': { type: 'string' } });
      if (!query) throw new UsageError('search needs a query');
      const topK = flags['top-k'] === undefined ? 5 : Number(flags['top-k']);
      if (!Number.isInteger(topK) || topK < 1 || topK > 100) throw new UsageError('--top-k must be 1–100');
      const tenantSlug = tenantFlag(flags);
      const passages = await withDatabase('search', async (runtime) => {
        const tenant = await requireTenant(runtime.db.kysely, tenantSlug);
        const reader = {
          tenantId: tenant.id,
          role: 'super_admin' as const,
          departmentId: null,
          regionId: null,
        };
        return searchPassages(runtime.db, reader, query, { topK, embedder: runtime.embedder });
      });
      if (passages.length === 0) console.log('No passages match.');
      passages.forEach((passage, index) => {
        const where = [passage.page ? `p. ${passage.page}` : null, passage.section]
          .filter(Boolean)
          .join(', ');
        console.log(`${index + 1}. ${passage.title}${where ? ` (${where})` : ''}  score ${passage.score.toFixed(3)}
   ${passage.snippet}`);
      });
    },
  },
  {
    name: 'eval',
    usage: `eval <beir-dir> [--json]      Retrieval quality on a BEIR dataset in a throw-away database:
                                nDCG@10, Recall@100, MRR@10, ingest time, query latency`,
    async run(args, { config }) {
      const [directory, ...rest] = args;
      const flags = parseFlags(rest, { json: { type: 'boolean' } });
      if (!directory) throw new UsageError('eval needs a BEIR dataset directory');
      const bar = process.stderr.isTTY
        ? new SingleBar({ format: '{phase} [{bar}] {value}/{total}' }, Presets.shades_classic)
        : null;
      let phase = '';
      const report = await evaluateBeir(directory, config.database, config.embeddings, (progress) => {
        if (!bar) return;
        if (progress.phase !== phase) {
          if (phase) bar.stop();
          phase = progress.phase;
          bar.start(progress.total, 0, { phase: phase.padEnd(6) });
        }
        bar.update(progress.done, { phase: phase.padEnd(6) });
      });
      bar?.stop();
      if (!flags.json) {
        console.log(
          `dataset        ${report.dataset} (${report.documents} documents, ${report.chunks} chunks, ${report.queries} queries)`,
        );
        console.log(`lexical path   ${report.lexical}`);
        console.log(`nDCG@10        ${report.ndcg_at_10.toFixed(4)}`);
        console.log(`Recall@100     ${report.recall_at_100.toFixed(4)}`);
        console.log(`MRR@10         ${report.mrr_at_10.toFixed(4)}`);
        console.log(`ingest         ${report.ingest_seconds.toFixed(1)} s`);
        console.log(
          `query latency  p50 ${report.query_p50_ms.toFixed(1)} ms, p95 ${report.query_p95_ms.toFixed(1)} ms`,
        );
      }
      console.log(
        JSON.stringify({
          dataset: report.dataset,
          queries: report.queries,
          ndcg_at_10: report.ndcg_at_10,
          recall_at_100: report.recall_at_100,
          mrr_at_10: report.mrr_at_10,
          ingest_seconds: report.ingest_seconds,
          query_p50_ms: report.query_p50_ms,
          query_p95_ms: report.query_p95_ms,
        }),
      );
    },
  },
];
