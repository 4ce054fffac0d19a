import { userSchema } from '@nexus/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { errorResponse, jsonResponse, mockFetch } from '../test/fetch-mock.ts';
import { ApiError, apiJson, apiSend, describeError, onSessionEnded } from './api-client.ts';

const USER = {
  id: '0b7c3a52-1f0e-4a55-9d1e-8f0a0c2b7d11',
  email: 'eli@northwind.example',
  display_name: 'Eli Employee',
  role: 'user',
  tenant: { id: '1b7c3a52-1f0e-4a55-9d1e-8f0a0c2b7d11', slug: 'northwind' },
  department: null,
  totp_enabled: false,
  totp_enrollment_required: false,
};

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('apiJson / apiSend', () => {
  it('sends the CSRF cookie back as X-CSRF-Token on unsafe requests only', async () => {
    // biome-ignore lint/suspicious/noDocumentCookie: tests set the CSRF cookie as the server would
    document.cookie = 'nexus_csrf=token-123; path=/';
    const { calls } = mockFetch(() => new Response(null, { status: 204 }));
    await apiSend('/api/v1/conversations/1', { method: 'DELETE' });
    await apiSend('/api/v1/documents');
    expect(calls[0]!.headers.get('x-csrf-token')).toBe('token-123');
    expect(calls[1]!.headers.get('x-csrf-token')).toBeNull();
  });

  it('refreshes once on a 401 and retries the request', async () => {
    let isRefreshed = false;
    const { calls } = mockFetch(({ url }) => {
      if (url === '/api/v1/auth/refresh') {
        isRefreshed = true;
        return jsonResponse({});
      }
      return isRefreshed ? jsonResponse(USER) : errorResponse(401, 'unauthorized:token', 'expired');
    });
    await expect(apiJson('/api/v1/me', userSchema)).resolves.toMatchObject({ email: USER.email });
    expect(calls.map((call) => call.url)).toEqual(['/api/v1/me', '/api/v1/auth/refresh', '/api/v1/me']);
  });

  it('shares one refresh between concurrent 401s and announces a session that ended', async () => {
    const { calls } = mockFetch(({ url }) =>
      url === '/api/v1/auth/refresh'
        ? errorResponse(401, 'unauthorized:refresh_token', 'Your session has ended.')
        : errorResponse(401, 'unauthorized:token', 'expired'),
    );
    const ended = vi.fn();
    const stop = onSessionEnded(ended);
    const results = await Promise.allSettled([apiSend('/api/v1/a'), apiSend('/api/v1/b')]);
    stop();
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(calls.filter((call) => call.url === '/api/v1/auth/refresh')).toHaveLength(1);
    expect(ended).toHaveBeenCalled();
  });

  it('turns error bodies, 429 Retry-After and unreachable servers into ApiErrors', async () => {
    mockFetch(() => errorResponse(429, 'rate_limited', 'Slow down.', { 'retry-after': '12' }));
    const limited = await apiSend('/api/v1/search', { method: 'POST', json: {} }).catch((error) => error);
    expect(limited).toBeInstanceOf(ApiError);
    expect(limited).toMatchObject({ status: 429, code: 'rate_limited', retryAfterSeconds: 12 });
    expect(describeError(limited)).toBe('Too many requests. Please wait 12 s and try again.');

    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('Failed to fetch')));
    const offline = await apiSend('/api/v1/documents').catch((error) => error);
    expect(offline).toMatchObject({ status: 0, code: 'network', isNetwork: true });
  });

  it('rejects responses that do not match the contract', async () => {
    mockFetch(() => jsonResponse({ email: 'no id' }));
    await expect(apiJson('/api/v1/me', userSchema)).rejects.toMatchObject({ code: 'bad_response' });
  });
});
