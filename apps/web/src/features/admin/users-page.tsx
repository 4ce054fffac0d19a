import type { adminUserSchema } from '@nexus/contracts';
import { Search, ShieldCheck, Users } from 'lucide-react';
import { useState } from 'react';
import type { z } from 'zod';
import { Alert } from '../../components/ui/alert.tsx';
import { Badge } from '../../components/ui/badge.tsx';
import { Input, Select } from '../../components/ui/field.tsx';
import { Card, EmptyState } from '../../components/ui/layout.tsx';
import { LoadingState } from '../../components/ui/spinner.tsx';
import { describeError } from '../../lib/api-client.ts';
import { cn } from '../../lib/cn.ts';
import { formatRelativeTime, initials, ROLE_LABELS } from '../../lib/format.ts';
import { useDebouncedValue } from '../../lib/use-debounced-value.ts';
import { useUser } from '../auth/session.ts';
import { useDepartments } from '../documents/documents-api.ts';
import { type UserPatch, useAdminUsers, useUpdateUser } from './admin-api.ts';

type AdminUser = z.infer<typeof adminUserSchema>;

function ActiveSwitch({
  checked,
  disabled,
  label,
  onChange,
}: {
  checked: boolean;
  disabled?: boolean;
  label: string;
  onChange: (checked: boolean) => void;
}) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={checked}
      aria-label={label}
      disabled={disabled}
      onClick={() => onChange(!checked)}
      className={cn(
        'relative inline-flex h-5 w-9 shrink-0 items-center rounded-full transition-colors disabled:opacity-50',
        checked ? 'bg-success' : 'bg-line-strong',
      )}
    >
      <span
        className={cn(
          'inline-block size-4 rounded-full bg-white shadow transition-transform',
          checked ? 'translate-x-[18px]' : 'translate-x-0.5',
        )}
      />
    </button>
  );
}

function UserRow({ user, departments, isSelf }: { user: AdminUser; departments: string[]; isSelf: boolean }) {
  const update = useUpdateUser();
  const save = (patch: UserPatch) => update.mutate({ id: user.id, patch });
  const roleSelect = (
    <Select
      aria-label={`Role of ${user.display_name}`}
      value={user.role}
      disabled={isSelf || update.isPending}
      onChange={(event) => save({ role: event.target.value as UserPatch['role'] })}
      className="h-8 w-full text-[13px] shadow-none"
      data-testid="user-role"
    >
      {(Object.keys(ROLE_LABELS) as (keyof typeof ROLE_LABELS)[]).map((role) => (
        <option key={role} value={role}>
          {ROLE_LABELS[role]}
        </option>
      ))}
    </Select>
  );
  return (
    <tr className="align-middle" data-testid="admin-user-row">
      <td className="px-5 py-3">
        <div className="flex items-center gap-3">
          <span className="flex size-8 shrink-0 items-center justify-center rounded-full bg-accent-soft text-xs font-semibold text-accent-soft-fg">
            {initials(user.display_name)}
          </span>
          <div className="min-w-0 flex-1">
            <p className="flex items-center gap-1.5 truncate font-medium text-fg">
              <span className="truncate">{user.display_name}</span>
              {isSelf ? <Badge tone="accent">You</Badge> : null}
              {user.totp_enabled ? (
                <ShieldCheck
                  className="size-3.5 shrink-0 text-success"
                  aria-label="Two-factor authentication on"
                />
              ) : null}
            </p>
            <p className="truncate text-xs text-fg-subtle">{user.email}</p>
            <div className="mt-2 sm:hidden">{roleSelect}</div>
            {update.error ? (
              <p className="mt-1 text-xs text-danger" role="alert">
                {describeError(update.error)}
              </p>
            ) : null}
          </div>
        </div>
      </td>
      <td className="hidden px-3 py-3 sm:table-cell">{roleSelect}</td>
      <td className="hidden px-3 py-3 md:table-cell">
        <Select
          aria-label={`Department of ${user.display_name}`}
          value={user.department ?? ''}
          disabled={update.isPending}
          onChange={(event) => save({ department: event.target.value || null })}
          className="h-8 w-full font-mono text-[12px] shadow-none"
        >
          <option value="">None</option>
          {departments.map((path) => (
            <option key={path} value={path}>
              {path}
            </option>
          ))}
        </Select>
      </td>
      <td className="hidden px-3 py-3 whitespace-nowrap text-[13px] text-fg-muted lg:table-cell">
        {user.last_login_at ? formatRelativeTime(user.last_login_at) : 'Never'}
      </td>
      <td className="px-5 py-3">
        <div className="flex items-center justify-end gap-2">
          <span className="hidden text-xs text-fg-subtle sm:inline">
            {user.is_active ? 'Active' : 'Disabled'}
          </span>
          <ActiveSwitch
            checked={user.is_active}
            disabled={isSelf || update.isPending}
            label={`${user.display_name} can sign in`}
            onChange={(isActive) => save({ is_active: isActive })}
          />
        </div>
      </td>
    </tr>
  );
}

export function UsersPage() {
  const me = useUser();
  const [search, setSearch] = useState('');
  const debouncedSearch = useDebouncedValue(search.trim(), 250);
  const users = useAdminUsers(debouncedSearch);
  const departments = useDepartments();
  const paths = (departments.data?.departments ?? []).map((department) => department.path).sort();
  const list = users.data?.users ?? [];

  return (
    <Card data-testid="admin-users">
      <div className="flex flex-wrap items-center gap-3 border-b border-line px-5 py-4">
        <div className="mr-auto">
          <h2 className="text-[15px] font-semibold">Users and roles</h2>
          <p className="text-[13px] text-fg-muted">Role changes and deactivation take effect immediately.</p>
        </div>
        <div className="relative w-full sm:w-64">
          <Search
            className="pointer-events-none absolute top-1/2 left-3 size-4 -translate-y-1/2 text-fg-subtle"
            aria-hidden
          />
          <Input
            type="search"
            placeholder="Search name or email"
            aria-label="Search users"
            value={search}
            onChange={(event) => setSearch(event.target.value)}
            className="h-9 pl-9"
          />
        </div>
      </div>
      {users.isPending ? (
        <LoadingState />
      ) : users.isError ? (
        <div className="p-5">
          <Alert tone="danger">{describeError(users.error)}</Alert>
        </div>
      ) : list.length === 0 ? (
        <EmptyState icon={<Users />} title="No users match" description="Try another name or email." />
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full table-fixed text-sm">
            <thead>
              <tr className="border-b border-line text-left text-xs text-fg-subtle">
                <th scope="col" className="px-5 py-2.5 font-medium">
                  Person
                </th>
                <th scope="col" className="hidden w-48 px-3 py-2.5 font-medium sm:table-cell">
                  Role
                </th>
                <th scope="col" className="hidden w-40 px-3 py-2.5 font-medium md:table-cell">
                  Department
                </th>
                <th scope="col" className="hidden w-32 px-3 py-2.5 font-medium lg:table-cell">
                  Last sign-in
                </th>
                <th scope="col" className="w-20 px-5 py-2.5 text-right font-medium sm:w-32">
                  Access
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-line">
              {list.map((user) => (
                <UserRow key={user.id} user={user} departments={paths} isSelf={user.id === me.id} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
