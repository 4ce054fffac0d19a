import type { User } from '@nexus/contracts';
import { ShieldAlert } from 'lucide-react';
import type { ReactNode } from 'react';
import { Link, Navigate, useLocation } from 'react-router-dom';
import { Alert } from '../../components/ui/alert.tsx';
import { Button, buttonClasses } from '../../components/ui/button.tsx';
import { EmptyState } from '../../components/ui/layout.tsx';
import { LoadingState } from '../../components/ui/spinner.tsx';
import { describeError } from '../../lib/api-client.ts';
import { hasRole, useSession } from './session.ts';

/** Renders children for a signed-in user; otherwise sends the browser to sign-in and back. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (session.isPending) return <LoadingState className="min-h-dvh" label="Loading Nexus…" />;
  if (session.isError) {
    return (
      <div className="mx-auto max-w-md p-8">
        <Alert
          tone="danger"
          title="Nexus is not responding"
          action={
            <Button size="sm" onClick={() => session.refetch()}>
              Retry
            </Button>
          }
        >
          {describeError(session.error)}
        </Alert>
      </div>
    );
  }
  if (!session.data) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/sign-in?next=${encodeURIComponent(next)}`} replace />;
  }
  if (session.data.totp_enrollment_required && location.pathname !== '/setup-2fa') {
    return <Navigate to="/setup-2fa" replace />;
  }
  return <>{children}</>;
}

export function RequireRole({
  role,
  user,
  children,
}: {
  role: User['role'];
  user: User;
  children: ReactNode;
}) {
  if (hasRole(user, role)) return <>{children}</>;
  return (
    <div className="mx-auto max-w-lg py-16" data-testid="access-denied">
      <EmptyState
        icon={<ShieldAlert />}
        title="You don't have access to this page"
        description={
          role === 'super_admin'
            ? 'Administration is for super admins. Ask one if you need a change made.'
            : 'Managing documents is for content managers and admins.'
        }
        action={
          <Link to="/chat" className={buttonClasses('secondary')}>
            Back to chat
          </Link>
        }
      />
    </div>
  );
}
