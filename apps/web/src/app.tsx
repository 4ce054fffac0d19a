import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { Compass } from 'lucide-react';
import { useEffect, useState } from 'react';
import { createBrowserRouter, Link, Navigate, Outlet, RouterProvider } from 'react-router-dom';
import { buttonClasses } from './components/ui/button.tsx';
import { EmptyState } from './components/ui/layout.tsx';
import { TooltipProvider } from './components/ui/tooltip.tsx';
import { AdminLayout } from './features/admin/admin-layout.tsx';
import { ApiKeysPage } from './features/admin/api-keys-page.tsx';
import { AuditLogPage } from './features/admin/audit-log-page.tsx';
import { OrganisationPage } from './features/admin/organisation-page.tsx';
import { UsersPage } from './features/admin/users-page.tsx';
import { RequireAuth, RequireRole } from './features/auth/guards.tsx';
import { SESSION_KEY, useUser } from './features/auth/session.ts';
import { SignInPage } from './features/auth/sign-in-page.tsx';
import { TotpSetupPage } from './features/auth/totp-setup-page.tsx';
import { AnswerStreamsProvider } from './features/chat/answer-streams.tsx';
import { ChatPage } from './features/chat/chat-page.tsx';
import { DocumentsPage } from './features/documents/documents-page.tsx';
import { AppShell } from './features/shell/app-shell.tsx';
import { ApiError, onSessionEnded } from './lib/api-client.ts';
import { ThemeProvider } from './lib/theme.tsx';

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: (failureCount, error) =>
          failureCount < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
        refetchOnWindowFocus: false,
      },
    },
  });
}

function RoleRoute({ minimumRole }: { minimumRole: 'content_manager' | 'super_admin' }) {
  const user = useUser();
  return (
    <RequireRole role={minimumRole} user={user}>
      <Outlet />
    </RequireRole>
  );
}

function NotFound() {
  return (
    <div className="py-16" data-testid="not-found">
      <EmptyState
        icon={<Compass />}
        title="Page not found"
        description="The address may be mistyped, or the page has moved."
        action={
          <Link to="/chat" className={buttonClasses('secondary')}>
            Go to chat
          </Link>
        }
      />
    </div>
  );
}

const router = createBrowserRouter([
  { path: '/sign-in', element: <SignInPage /> },
  {
    path: '/setup-2fa',
    element: (
      <RequireAuth>
        <TotpSetupPage />
      </RequireAuth>
    ),
  },
  {
    element: (
      <RequireAuth>
        <AnswerStreamsProvider>
          <AppShell />
        </AnswerStreamsProvider>
      </RequireAuth>
    ),
    children: [
      { index: true, element: <Navigate to="/chat" replace /> },
      { path: 'chat/:conversationId?', element: <ChatPage /> },
      {
        element: <RoleRoute minimumRole="content_manager" />,
        children: [{ path: 'documents', element: <DocumentsPage /> }],
      },
      {
        path: 'admin',
        element: <RoleRoute minimumRole="super_admin" />,
        children: [
          {
            element: <AdminLayout />,
            children: [
              { index: true, element: <Navigate to="/admin/users" replace /> },
              { path: 'users', element: <UsersPage /> },
              { path: 'organisation', element: <OrganisationPage /> },
              { path: 'api-keys', element: <ApiKeysPage /> },
              { path: 'audit-log', element: <AuditLogPage /> },
            ],
          },
        ],
      },
      { path: '*', element: <NotFound /> },
    ],
  },
]);

/** A failed refresh anywhere ends the session: forget cached data and show sign-in. */
function SessionWatcher({ client }: { client: QueryClient }) {
  useEffect(
    () =>
      onSessionEnded(() => {
        if (client.getQueryData(SESSION_KEY)) {
          client.clear();
          client.setQueryData(SESSION_KEY, null);
        }
      }),
    [client],
  );
  return null;
}

export function App() {
  const [client] = useState(createQueryClient);
  return (
    <ThemeProvider>
      <QueryClientProvider client={client}>
        <TooltipProvider delayDuration={400}>
          <SessionWatcher client={client} />
          <RouterProvider router={router} />
        </TooltipProvider>
      </QueryClientProvider>
    </ThemeProvider>
  );
}
