import { ArrowRight, FileSearch, LockKeyhole, Quote } from 'lucide-react';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { Alert } from '../../components/ui/alert.tsx';
import { Button } from '../../components/ui/button.tsx';
import { Field, Input } from '../../components/ui/field.tsx';
import { LoadingState } from '../../components/ui/spinner.tsx';
import { ApiError, describeError } from '../../lib/api-client.ts';
import { BrandMark } from '../shell/brand.tsx';
import { useAuthConfig, useLogin, useSession } from './session.ts';

function MicrosoftLogo() {
  return (
    <svg viewBox="0 0 21 21" className="size-4" aria-hidden>
      <rect x="1" y="1" width="9" height="9" fill="#f25022" />
      <rect x="11" y="1" width="9" height="9" fill="#7fba00" />
      <rect x="1" y="11" width="9" height="9" fill="#00a4ef" />
      <rect x="11" y="11" width="9" height="9" fill="#ffb900" />
    </svg>
  );
}

/** Only same-site paths are followed after sign-in. */
export function safeReturnPath(value: unknown): string {
  return typeof value === 'string' && /^\/(?!\/)[^\s\\]*$/.test(value) && !value.startsWith('/sign-in')
    ? value
    : '/chat';
}

export function SignInPage() {
  const location = useLocation();
  const navigate = useNavigate();
  const session = useSession();
  const config = useAuthConfig();
  const login = useLogin();
  const returnTo = safeReturnPath(new URLSearchParams(location.search).get('next'));

  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [isTotpNeeded, setIsTotpNeeded] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const [totpError, setTotpError] = useState<string | null>(null);
  const totpRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (isTotpNeeded) totpRef.current?.focus();
  }, [isTotpNeeded]);

  if (session.data) {
    return <Navigate to={session.data.totp_enrollment_required ? '/setup-2fa' : returnTo} replace />;
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    setTotpError(null);
    if (!email.trim() || !password) {
      setFormError('Enter your email and password.');
      return;
    }
    try {
      const tokens = await login.mutateAsync({
        email: email.trim(),
        password,
        ...(isTotpNeeded && totp ? { totp: totp.trim() } : {}),
      });
      navigate(tokens.user.totp_enrollment_required ? '/setup-2fa' : returnTo, { replace: true });
    } catch (error) {
      if (error instanceof ApiError && error.code === 'unauthorized:totp_required') {
        setIsTotpNeeded(true);
        setTotpError(null);
        return;
      }
      if (error instanceof ApiError && error.code === 'unauthorized:totp_invalid') {
        setIsTotpNeeded(true);
        setTotp('');
        setTotpError(error.message);
        totpRef.current?.focus();
        return;
      }
      setFormError(describeError(error));
    }
  };

  const sso = config.data?.sso;
  const isPasswordEnabled = config.data?.password ?? true;

  return (
    <div className="grid min-h-dvh lg:grid-cols-[minmax(0,1.05fr)_minmax(0,1fr)]">
      <aside className="relative hidden overflow-hidden bg-[#111827] lg:flex lg:flex-col lg:justify-between lg:p-12 text-white">
        <div
          className="pointer-events-none absolute inset-0 opacity-90"
          style={{
            background:
              'radial-gradient(60rem 40rem at -10% -10%, rgba(99,102,241,0.45), transparent 60%), radial-gradient(40rem 30rem at 110% 110%, rgba(56,189,248,0.25), transparent 60%)',
          }}
          aria-hidden
        />
        <div className="relative flex items-center gap-2.5">
          <BrandMark className="size-8" />
          <span className="text-lg font-semibold tracking-tight">Nexus</span>
        </div>
        <div className="relative max-w-md space-y-8">
          <h2 className="text-3xl leading-tight font-semibold tracking-tight text-balance">
            Answers from your company's knowledge — with the sources to prove it.
          </h2>
          <ul className="space-y-4 text-[15px] text-white/80">
            <li className="flex gap-3">
              <FileSearch className="mt-0.5 size-5 shrink-0 text-indigo-300" aria-hidden />
              Ask in plain language across policies, handbooks and reports.
            </li>
            <li className="flex gap-3">
              <Quote className="mt-0.5 size-5 shrink-0 text-indigo-300" aria-hidden />
              Every answer cites the passages it came from.
            </li>
            <li className="flex gap-3">
              <LockKeyhole className="mt-0.5 size-5 shrink-0 text-indigo-300" aria-hidden />
              You only ever see documents you are allowed to read.
            </li>
          </ul>
        </div>
        <p className="relative text-xs text-white/50">Enterprise AI hub · Grounded or silent</p>
      </aside>

      <main className="flex items-center justify-center px-5 py-12 sm:px-8">
        <div className="w-full max-w-sm">
          <div className="mb-8 flex items-center gap-2.5 lg:hidden">
            <BrandMark className="size-8" />
            <span className="text-lg font-semibold tracking-tight">Nexus</span>
          </div>
          <h1 className="text-2xl font-semibold tracking-tight">Sign in</h1>
          <p className="mt-1.5 text-sm text-fg-muted">Use your work account to continue.</p>

          {config.isPending ? (
            <LoadingState label="Loading sign-in options…" />
          ) : (
            <div className="mt-8 space-y-6">
              {sso?.enabled && sso.login_url ? (
                <a
                  href={`${sso.login_url}?return_to=${encodeURIComponent(returnTo)}`}
                  className="flex h-11 w-full items-center justify-center gap-2.5 rounded-xl border border-line bg-surface text-[15px] font-medium text-fg shadow-card transition-colors hover:bg-surface-hover"
                  data-testid="sso-sign-in"
                >
                  <MicrosoftLogo />
                  Sign in with {sso.provider_name ?? 'Microsoft'}
                </a>
              ) : null}
              {sso?.enabled && isPasswordEnabled ? (
                <div className="flex items-center gap-3 text-xs text-fg-subtle">
                  <span className="h-px flex-1 bg-line" />
                  or use email
                  <span className="h-px flex-1 bg-line" />
                </div>
              ) : null}
              {isPasswordEnabled ? (
                <form className="space-y-4" onSubmit={submit} noValidate data-testid="sign-in-form">
                  {formError ? (
                    <Alert tone="danger" data-testid="sign-in-error">
                      {formError}
                    </Alert>
                  ) : null}
                  <Field label="Email">
                    {(ids) => (
                      <Input
                        {...ids}
                        type="email"
                        autoComplete="username"
                        required
                        value={email}
                        onChange={(event) => setEmail(event.target.value)}
                        placeholder="you@company.com"
                        data-testid="sign-in-email"
                      />
                    )}
                  </Field>
                  <Field label="Password">
                    {(ids) => (
                      <Input
                        {...ids}
                        type="password"
                        autoComplete="current-password"
                        required
                        value={password}
                        onChange={(event) => setPassword(event.target.value)}
                        data-testid="sign-in-password"
                      />
                    )}
                  </Field>
                  {isTotpNeeded ? (
                    <Field
                      label="Authentication code"
                      hint="Enter the 6-digit code from your authenticator app."
                      error={totpError}
                    >
                      {(ids) => (
                        <Input
                          {...ids}
                          ref={totpRef}
                          inputMode="numeric"
                          autoComplete="one-time-code"
                          pattern="[0-9]{6}"
                          maxLength={6}
                          value={totp}
                          onChange={(event) => setTotp(event.target.value.replace(/\D/g, ''))}
                          className="tracking-[0.3em] tabular-nums"
                          data-testid="sign-in-totp"
                        />
                      )}
                    </Field>
                  ) : null}
                  <Button
                    type="submit"
                    variant="primary"
                    size="lg"
                    className="w-full"
                    isLoading={login.isPending}
                    data-testid="sign-in-submit"
                  >
                    Sign in
                    {login.isPending ? null : <ArrowRight className="size-4" />}
                  </Button>
                </form>
              ) : null}
              {!isPasswordEnabled && !sso?.enabled ? (
                <Alert tone="warning">No sign-in method is enabled. Contact your administrator.</Alert>
              ) : null}
            </div>
          )}
        </div>
      </main>
    </div>
  );
}
