import { KeyRound } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { Alert } from '../../components/ui/alert.tsx';
import { Button } from '../../components/ui/button.tsx';
import { Field, Input } from '../../components/ui/field.tsx';
import { Card } from '../../components/ui/layout.tsx';
import { QrCode } from '../../components/ui/qr-code.tsx';
import { describeError } from '../../lib/api-client.ts';
import { BrandMark } from '../shell/brand.tsx';
import { useLogout, useTotpEnrollment, useTotpVerification, useUser } from './session.ts';

/** Users whose role requires two-factor authentication enrol an authenticator app here. */
export function TotpSetupPage() {
  const user = useUser();
  const navigate = useNavigate();
  const enrol = useTotpEnrollment();
  const verify = useTotpVerification();
  const logout = useLogout();
  const [code, setCode] = useState('');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await verify.mutateAsync(code);
      navigate('/chat', { replace: true });
    } catch {
      setCode('');
    }
  };

  return (
    <main className="flex min-h-dvh items-center justify-center px-5 py-12">
      <Card className="w-full max-w-md p-7">
        <div className="mb-6 flex items-center gap-2.5">
          <BrandMark />
          <span className="font-semibold">Nexus</span>
        </div>
        <h1 className="text-xl font-semibold tracking-tight">Set up two-factor authentication</h1>
        <p className="mt-1.5 text-sm text-fg-muted">
          Your role ({user.email}) requires an authenticator app such as Microsoft Authenticator or 1Password.
        </p>
        {!enrol.data ? (
          <div className="mt-6 space-y-4">
            {enrol.error ? <Alert tone="danger">{describeError(enrol.error)}</Alert> : null}
            <Button
              variant="primary"
              className="w-full"
              isLoading={enrol.isPending}
              onClick={() => enrol.mutate()}
            >
              <KeyRound className="size-4" /> Create a secret key
            </Button>
          </div>
        ) : (
          <form className="mt-6 space-y-5" onSubmit={submit}>
            <div className="space-y-2 text-sm">
              <p className="font-medium">1. Scan this code with your authenticator app, or type the key</p>
              <div className="flex justify-center py-1">
                <QrCode value={enrol.data.otpauth_url} label="QR code for your authenticator app" />
              </div>
              <code
                className="block rounded-lg border border-line bg-surface-muted px-3 py-2.5 font-mono text-[13px] tracking-wider break-all"
                data-testid="totp-secret"
              >
                {enrol.data.secret.replace(/(.{4})/g, '$1 ').trim()}
              </code>
              <a className="text-xs text-accent underline underline-offset-2" href={enrol.data.otpauth_url}>
                Open in an authenticator app on this device
              </a>
            </div>
            <Field
              label="2. Enter the 6-digit code it shows"
              error={verify.error ? describeError(verify.error) : null}
            >
              {(ids) => (
                <Input
                  {...ids}
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  maxLength={6}
                  value={code}
                  onChange={(event) => setCode(event.target.value.replace(/\D/g, ''))}
                  className="tracking-[0.3em] tabular-nums"
                />
              )}
            </Field>
            <Button
              type="submit"
              variant="primary"
              className="w-full"
              disabled={code.length !== 6}
              isLoading={verify.isPending}
            >
              Turn on and continue
            </Button>
          </form>
        )}
        <Button
          variant="ghost"
          size="sm"
          className="mt-4 w-full"
          onClick={() =>
            logout.mutate(undefined, { onSettled: () => navigate('/sign-in', { replace: true }) })
          }
        >
          Sign out
        </Button>
      </Card>
    </main>
  );
}
