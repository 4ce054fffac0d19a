import { NavLink, Outlet } from 'react-router-dom';
import { PageHeader } from '../../components/ui/layout.tsx';
import { cn } from '../../lib/cn.ts';
import { Page } from '../shell/app-shell.tsx';

const TABS = [
  { to: '/admin/users', label: 'Users & roles', testId: 'admin-tab-users' },
  { to: '/admin/organisation', label: 'Regions & departments', testId: 'admin-tab-organisation' },
  { to: '/admin/api-keys', label: 'API keys', testId: 'admin-tab-api-keys' },
  { to: '/admin/audit-log', label: 'Audit log', testId: 'admin-tab-audit-log' },
];

export function AdminLayout() {
  return (
    <Page data-testid="admin-page">
      <PageHeader
        title="Administration"
        description="People, organisation structure, developer access and the record of changes."
      />
      <nav aria-label="Administration" className="-mx-4 overflow-x-auto px-4 sm:mx-0 sm:px-0">
        <div className="inline-flex min-w-full gap-1 border-b border-line">
          {TABS.map((tab) => (
            <NavLink
              key={tab.to}
              to={tab.to}
              data-testid={tab.testId}
              className={({ isActive }) =>
                cn(
                  '-mb-px border-b-2 px-3 py-2.5 text-sm font-medium whitespace-nowrap transition-colors',
                  isActive ? 'border-accent text-fg' : 'border-transparent text-fg-muted hover:text-fg',
                )
              }
            >
              {tab.label}
            </NavLink>
          ))}
        </div>
      </nav>
      <Outlet />
    </Page>
  );
}
