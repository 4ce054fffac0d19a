import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactUrl, shouldLoadDemo } from './config.ts';

describe('loadConfig', () => {
  it('defaults to the embedded database in ./data on port 8080', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      database: { kind: 'embedded', dataDir: path.resolve('data') },
      serveWorker: true,
      demo: 'auto',
    });
    expect(shouldLoadDemo(config)).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('uses a Postgres server when DATABASE_URL is set, without demo data unless asked', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://nexus:pw@db:5432/nexus',
      DATABASE_SCHEMA: 'nexus',
      NEXUS_SERVE_WORKER: 'false',
    });
    expect(config.database).toEqual({
      kind: 'postgres',
      url: 'postgres://nexus:pw@db:5432/nexus',
      schema: 'nexus',
      poolMax: 10,
    });
    expect(config.serveWorker).toBe(false);
    expect(shouldLoadDemo(config)).toBe(false);
    expect(shouldLoadDemo(loadConfig({ DATABASE_URL: 'postgres://db/x', NEXUS_DEMO: 'on' }))).toBe(true);
  });

  it('always runs the worker in serve for the embedded database', () => {
    expect(loadConfig({ NEXUS_SERVE_WORKER: 'false' }).serveWorker).toBe(true);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).port).toBe(8080);
  });

  it('names every bad variable, and never echoes secrets', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: '99999', REDIS_URL: 'http://x', NEXUS_DEMO_PASSWORD: 'short', LOG_LEVEL: 'loud' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('PORT');
    expect(message).toContain('(got "99999")');
    expect(message).toContain('REDIS_URL: must be a redis:// or rediss:// URL');
    expect(message).toContain('NEXUS_DEMO_PASSWORD: must be at least 12 characters');
    expect(message).not.toContain('short');
    expect(message).toContain('LOG_LEVEL');
  });
});

it('redacts passwords from URLs', () => {
  expect(redactUrl('postgres://nexus:s3cret@db:5432/nexus')).toBe('postgres://nexus:***@db:5432/nexus');
  expect(redactUrl('postgres://db/nexus')).toBe('postgres://db/nexus');
});
