import { expect, it } from 'vitest';
import { createLogger } from './logger.ts';

it('redacts credentials wherever they appear in a log line', () => {
  const lines: string[] = [];
  const logger = createLogger({ logLevel: 'info' }, { write: (line: string) => lines.push(line) });
  logger.info(
    {
      req: {
        headers: {
          authorization: 'Bearer secret-access',
          cookie: 'nexus_refresh=secret-cookie',
          'x-api-key': 'nxk_secret',
        },
      },
      res: { headers: { 'set-cookie': 'nexus_access=secret-set-cookie' } },
      password: 'secret-password',
      body: { refresh_token: 'secret-refresh', totp: '123456', client_secret: 'secret-client' },
    },
    'request',
  );
  const line = lines.join('');
  for (const secret of [
    'secret-access',
    'secret-cookie',
    'nxk_secret',
    'secret-set-cookie',
    'secret-password',
    'secret-refresh',
    '123456',
    'secret-client',
  ]) {
    expect(line).not.toContain(secret);
  }
  expect(line).toContain('[redacted]');
  expect(JSON.parse(line).msg).toBe('request');
});

it('redacts credentials in logged request URLs (WebSocket access tokens, OIDC codes)', async () => {
  const lines: string[] = [];
  const logger = createLogger({ logLevel: 'info' }, { write: (line: string) => lines.push(line) });
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ loggerInstance: logger });
  app.get('/ws/chat/:id', async () => 'ok');
  await app.inject({ url: '/ws/chat/1?access_token=secret-ws-token&x=1' });
  await app.inject({ url: '/ws/chat/1?code=secret-code&state=secret-state' });
  await app.close();
  const text = lines.join('');
  expect(text).toContain('/ws/chat/1?access_token=[redacted]&x=1');
  for (const secret of ['secret-ws-token', 'secret-code', 'secret-state']) expect(text).not.toContain(secret);
});
