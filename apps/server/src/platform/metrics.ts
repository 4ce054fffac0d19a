import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** One Prometheus registry per app instance (so tests can build several apps). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'nexus_' });
  const httpRequestDuration = new Histogram({
    name: 'nexus_http_request_duration_seconds',
    help: 'HTTP request duration by route, method and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const httpErrors = new Counter({
    name: 'nexus_http_errors_total',
    help: 'HTTP responses with an error body, by error code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const notebookSessionsRemoved = new Counter({
    name: 'nexus_notebook_sessions_removed_total',
    help: 'Expired notebook sessions deleted by the cleanup job, with their files, chunks and conversations',
    registers: [registry],
  });
  const notebookBytesRemoved = new Counter({
    name: 'nexus_notebook_bytes_removed_total',
    help: 'Bytes of notebook files deleted by the cleanup job',
    registers: [registry],
  });
  return { registry, httpRequestDuration, httpErrors, notebookSessionsRemoved, notebookBytesRemoved };
}

export type Metrics = ReturnType<typeof createMetrics>;
