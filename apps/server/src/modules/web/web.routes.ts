import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

/** Where `vite build` puts the web app (apps/web/dist). */
export const WEB_DIST_DIR = fileURLToPath(new URL('../../../../web/dist/', import.meta.url));

/** Paths that belong to the API and tooling: never answered with the app's index.html. */
const RESERVED_PREFIXES = ['/api', '/v1', '/ws', '/docs', '/openapi.json', '/metrics', '/healthz', '/readyz'];

export function isReservedPath(pathname: string): boolean {
  return RESERVED_PREFIXES.some((prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`));
}

/**
 * Only the app's own scripts run; styles may be inline (Radix positions popovers with
 * inline styles and injects a scroll-lock style element); nothing may frame the app.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function setDocumentHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'DENY');
  reply.header('referrer-policy', 'same-origin');
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('permissions-policy', 'camera=(), geolocation=(), payment=()');
}

export interface WebRoutesOptions {
  /** The built app; null or a directory without index.html serves the landing page. */
  distDir: string | null;
}

/**
 * Serves the built web app: hashed assets cached for a year, other files and index.html
 * revalidated on every load, and index.html for any other non-API GET so client-side
 * routes survive a reload. Without a build, `/` keeps the API landing page.
 */
export const registerWebRoutes: FastifyPluginAsyncZod<WebRoutesOptions> = async (app, options) => {
  const distDir = options.distDir ? path.resolve(options.distDir) : null;
  const assetsDir = distDir ? path.join(distDir, 'assets') : null;
  // Checked per request, so a build made while the server runs is picked up.
  const isBuilt = () => distDir !== null && existsSync(path.join(distDir, 'index.html'));

  await app.register(fastifyStatic, { serve: false, preCompressed: true, dotfiles: 'deny', index: false });

  const sendIndex = (reply: FastifyReply) => {
    setDocumentHeaders(reply);
    reply.header('vary', 'accept-encoding');
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html', distDir!, { cacheControl: false });
  };

  // The app's files are the same for everyone: no session lookups for them.
  const route = { config: { access: 'public' as const, isAnonymous: true }, schema: { hide: true } };

  app.get('/', route, async (_request, reply) => {
    if (isBuilt()) return sendIndex(reply);
    setDocumentHeaders(reply);
    return reply.type('text/html; charset=utf-8').send(LANDING_PAGE);
  });

  app.get('/assets/*', route, async (request, reply) => {
    if (!isBuilt() || !assetsDir) return reply.callNotFound();
    const file = (request.params as { '*': string })['*']; // decoded by the router
    reply.header('x-content-type-options', 'nosniff');
    reply.header('vary', 'accept-encoding');
    return reply.sendFile(file, assetsDir, { immutable: true, maxAge: '365d' });
  });

  app.get('/*', route, async (request, reply) => {
    const file = (request.params as { '*': string })['*'];
    if (isReservedPath(`/${file}`) || !isBuilt()) return reply.callNotFound();
    if (/\.[A-Za-z0-9]+$/.test(file.slice(file.lastIndexOf('/') + 1))) {
      // A file at the root of the build (favicon.svg, theme-init.js); missing files are 404s.
      reply.header('x-content-type-options', 'nosniff');
      reply.header('cache-control', 'no-cache');
      return reply.sendFile(file, distDir!, { cacheControl: false });
    }
    return sendIndex(reply);
  });
};

const LANDING_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Nexus</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2937}
@media (prefers-color-scheme:dark){body{background:#111827;color:#e5e7eb}a{color:#93c5fd}}</style></head>
<body><h1>Nexus is running</h1>
<p>The API is up, but the web app has not been built (<code>npm run build -w apps/web</code>, or <code>npm start</code>, builds it). Meanwhile:</p>
<ul><li><a href="/docs">API reference (Swagger UI)</a></li><li><a href="/readyz">Readiness</a></li>
<li><a href="/openapi.json">OpenAPI document</a></li><li><a href="/metrics">Metrics</a></li></ul></body></html>`;
