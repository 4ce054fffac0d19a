// The embedded database's thread: PGlite (Postgres compiled to WebAssembly) runs here, so a
// long statement (an index build, a large insert, a bulk delete) never blocks the HTTP
// server's event loop. The main thread (pglite-host.ts) sends one request at a time per
// connection holder; this thread answers each with its result or the Postgres error.
// Plain JavaScript: it needs no TypeScript loader, so any process (CLI, tests) can start it.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { pg_textsearch } from '@electric-sql/pglite-pg_textsearch';
import { vector } from '@electric-sql/pglite-pgvector';

const OID_NUMERIC = 1700;
/** Fields of a Postgres error worth carrying across (pg's DatabaseError names). */
const ERROR_FIELDS = [
  'code',
  'detail',
  'hint',
  'severity',
  'position',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'routine',
];

/** @param {unknown} error */
function serializeError(error) {
  const source = /** @type {Record<string, unknown>} */ (error ?? {});
  /** @type {Record<string, unknown>} */
  const fields = { message: error instanceof Error ? error.message : String(error) };
  for (const field of ERROR_FIELDS) {
    if (source[field] !== undefined && source[field] !== null) fields[field] = source[field];
  }
  return fields;
}

/** @param {import('@electric-sql/pglite').Results} result */
function plain(result) {
  return { rows: result.rows, affectedRows: result.affectedRows ?? 0 };
}

const { dataDir, snapshot } = workerData;
const pglite = await PGlite.create({
  ...(dataDir ? { dataDir } : {}),
  extensions: { vector, pg_textsearch },
  parsers: { [OID_NUMERIC]: (/** @type {string} */ value) => Number.parseFloat(value) },
  ...(snapshot ? { loadDataDir: new Blob([snapshot]) } : {}),
});

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
port.on('message', async (request) => {
  try {
    let result;
    let transfer = [];
    switch (request.op) {
      case 'query':
        result = plain(await pglite.query(request.sql, request.params));
        break;
      case 'exec': {
        const results = await pglite.exec(request.sql);
        result = plain(results.at(-1) ?? { rows: [], fields: [], affectedRows: 0 });
        break;
      }
      case 'dump': {
        const dump = await pglite.dumpDataDir('none');
        result = await dump.arrayBuffer();
        transfer = [result];
        break;
      }
      case 'close':
        if (!pglite.closed) await pglite.close();
        result = null;
        break;
      default:
        throw new Error(`Unknown embedded database request "${request.op}"`);
    }
    port.postMessage({ id: request.id, ok: true, result }, transfer);
  } catch (error) {
    port.postMessage({ id: request.id, ok: false, error: serializeError(error) });
  }
});
port.postMessage({ ready: true });
