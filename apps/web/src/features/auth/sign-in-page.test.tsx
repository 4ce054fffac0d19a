import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { errorResponse, jsonResponse, mockFetch } from '../../test/fetch-mock.ts';
import { SignInPage, safeReturnPath } from './sign-in-page.tsx';

const USER = {
  id: '0b7c3a52-1f0e-4a55-9d1e-8f0a0c2b7d11',
  email: 'ada@northwind.example',
  display_name: 'Ada Admin',
  role: 'super_admin',
  tenant: { id: '1b7c3a52-1f0e-4a55-9d1e-8f0a0c2b7d11', slug: 'northwind' },
  department: { id: '2b7c3a52-1f0e-4a55-9d1e-8f0a0c2b7d11', code: 'UK/IT' },
  totp_enabled: true,
  totp_enrollment_required: false,
};
const TOKENS = { access_token: 'a', refresh_token: 'r', token_type: 'bearer', expires_in: 900, user: USER };

function config(sso: boolean) {
  return {
    password: true,
    sso: sso
      ? { enabled: true, provider_name: 'Microsoft', login_url: '/api/v1/auth/sso/login' }
      : { enabled: false, provider_name: null, login_url: null },
    totp_required_for_admins: true,
  };
}

function renderSignIn(
  login: (body: { email: string; password: string; totp?: string }) => Response,
  sso = false,
) {
  const { calls } = mockFetch(({ url, body }) => {
    if (url === '/api/v1/auth/config') return jsonResponse(config(sso));
    if (url === '/api/v1/me' || url === '/api/v1/auth/refresh')
      return errorResponse(401, 'unauthorized:token', 'Sign in.');
    if (url === '/api/v1/auth/login')
      return login(body as { email: string; password: string; totp?: string });
    return errorResponse(404, 'not_found:route', url);
  });
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={['/sign-in?next=%2Fdocuments']}>
        <Routes>
          <Route path="/sign-in" element={<SignInPage />} />
          <Route path="/documents" element={<p>Documents page</p>} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return { calls };
}

async function fillAndSubmit(email: string, password: string) {
  fireEvent.change(await screen.findByLabelText('Email'), { target: { value: email } });
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: password } });
  fireEvent.click(screen.getByTestId('sign-in-submit'));
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('SignInPage', () => {
  it('shows the server message for a wrong password and keeps the email', async () => {
    renderSignIn(() => errorResponse(401, 'unauthorized:credentials', 'Incorrect email or password.'));
    await fillAndSubmit('ada@northwind.example', 'wrong');
    expect((await screen.findByTestId('sign-in-error')).textContent).toBe('Incorrect email or password.');
    expect((screen.getByLabelText('Email') as HTMLInputElement).value).toBe('ada@northwind.example');
  });

  it('asks for the authenticator code when required, then signs in and returns to the page asked for', async () => {
    const { calls } = renderSignIn(({ totp }) =>
      totp === '123456'
        ? jsonResponse(TOKENS)
        : totp
          ? errorResponse(401, 'unauthorized:totp_invalid', 'The authenticator code is incorrect or expired.')
          : errorResponse(401, 'unauthorized:totp_required', 'Enter the 6-digit code.'),
    );
    await fillAndSubmit('ada@northwind.example', 'correct horse');
    const code = await screen.findByLabelText('Authentication code');
    await waitFor(() => expect(document.activeElement).toBe(code));

    fireEvent.change(code, { target: { value: '000000' } });
    fireEvent.click(screen.getByTestId('sign-in-submit'));
    expect(await screen.findByText('The authenticator code is incorrect or expired.')).toBeTruthy();

    fireEvent.change(screen.getByLabelText('Authentication code'), { target: { value: '12a34 56' } });
    expect((screen.getByLabelText('Authentication code') as HTMLInputElement).value).toBe('123456');
    fireEvent.click(screen.getByTestId('sign-in-submit'));
    expect(await screen.findByText('Documents page')).toBeTruthy();
    const logins = calls.filter((call) => call.url === '/api/v1/auth/login');
    expect(logins.at(-1)!.body).toEqual({
      email: 'ada@northwind.example',
      password: 'correct horse',
      totp: '123456',
    });
  });

  it('explains lockouts with the wait from Retry-After', async () => {
    renderSignIn(() =>
      errorResponse(429, 'rate_limited:login', 'Too many failed sign-ins.', { 'retry-after': '900' }),
    );
    await fillAndSubmit('ada@northwind.example', 'wrong');
    expect((await screen.findByTestId('sign-in-error')).textContent).toContain('900 s');
  });

  it('offers single sign-on when it is configured, returning to the page asked for', async () => {
    renderSignIn(() => jsonResponse(TOKENS), true);
    const link = await screen.findByTestId('sso-sign-in');
    expect(link.textContent).toBe('Sign in with Microsoft');
    expect(link.getAttribute('href')).toBe('/api/v1/auth/sso/login?return_to=%2Fdocuments');
  });
});

describe('safeReturnPath', () => {
  it('follows only same-site paths', () => {
    expect(safeReturnPath('/chat/1')).toBe('/chat/1');
    expect(safeReturnPath('//evil.example')).toBe('/chat');
    expect(safeReturnPath('https://evil.example')).toBe('/chat');
    expect(safeReturnPath('/sign-in')).toBe('/chat');
    expect(safeReturnPath(null)).toBe('/chat');
  });
});
