import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { Compass } from 'lucide-react';
import { useEffect, useState } from 'react';
import { createBrowserRouter, Link, Navigate, Outlet, RouterProvider } from 'react-router-dom';
import { buttonClasses } from './components/ui/button.tsx';
import { EmptyState } from './components/ui/layout.tsx';
import { LoadingState } from './components/ui/spinner.tsx';
import { TooltipProvider } from './components/ui/tooltip.tsx';
import { RequireAuth, RequireRole } from './features/auth/guards.tsx';
import { SESSION_KEY, useUser } from './features/auth/session.ts';
import { SignInPage } from './features/auth/sign-in-page.tsx';
import { TotpSetupPage } from './features/auth/totp-setup-page.tsx';
import { AnswerStreamsProvider } from './features/chat/answer-streams.tsx';
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

function adminPage(name: 'UsersPage' | 'OrganisationPage' | 'ApiKeysPage' | 'AuditLogPage') {
  return import('./features/admin/admin-routes.tsx').then((module) => ({ Component: module[name] }));
}

const router = createBrowserRouter([
  {
    // Shown while the first page's code loads.
    hydrateFallbackElement: <LoadingState className="min-h-dvh" label="Loading Nexus…" />,
    children: [
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
          {
            path: 'chat/:conversationId?',
            lazy: () =>
              import('./features/chat/chat-page.tsx').then((module) => ({ Component: module.ChatPage })),
          },
          {
            path: 'notebook/:sessionId?',
            lazy: () =>
              import('./features/notebook/notebook-page.tsx').then((module) => ({
                Component: module.NotebookPage,
              })),
          },
          {
            element: <RoleRoute minimumRole="content_manager" />,
            children: [
              {
                path: 'documents',
                lazy: () =>
                  import('./features/documents/documents-page.tsx').then((module) => ({
                    Component: module.DocumentsPage,
                  })),
              },
            ],
          },
          {
            path: 'admin',
            element: <RoleRoute minimumRole="super_admin" />,
            children: [
              {
                // One chunk for the whole admin area.
                lazy: () =>
                  import('./features/admin/admin-routes.tsx').then((module) => ({
                    Component: module.AdminLayout,
                  })),
                children: [
                  { index: true, element: <Navigate to="/admin/users" replace /> },
                  { path: 'users', lazy: () => adminPage('UsersPage') },
                  { path: 'organisation', lazy: () => adminPage('OrganisationPage') },
                  { path: 'api-keys', lazy: () => adminPage('ApiKeysPage') },
                  { path: 'audit-log', lazy: () => adminPage('AuditLogPage') },
                ],
              },
            ],
          },
          { path: '*', element: <NotFound /> },
        ],
      },
    ],
  },
]);

/** A failed refresh anywhere ends the session: forget cached data and show sign-in. */
function SessionWatcher({ client }: { client: QueryClient }) {
  useEffect(
    () =>
      onSessionEnded(() => {
        if (client.getQueryData(SESSION_KEY)) {
          client.setQueryData(SESSION_KEY, null);
          client.removeQueries({ predicate: (query) => query.queryKey[0] !== SESSION_KEY[0] });
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
