import type { adminUserSchema } from '@nexus/contracts';
import { ShieldCheck, Users } from 'lucide-react';
import { useState } from 'react';
import type { z } from 'zod';
import { Badge } from '../../components/ui/badge.tsx';
import {
  ListCard,
  type ListColumn,
  ListSearch,
  ListState,
  ListTable,
} from '../../components/ui/data-list.tsx';
import { Select } from '../../components/ui/field.tsx';
import { describeError } from '../../lib/api-client.ts';
import { cn } from '../../lib/cn.ts';
import { formatRelativeTime, initials, ROLE_LABELS } from '../../lib/format.ts';
import { useDebouncedValue } from '../../lib/use-debounced-value.ts';
import { useUser } from '../auth/session.ts';
import { useDepartments } from '../documents/documents-api.ts';
import { type UserPatch, useAdminUsers, useUpdateUser } from './admin-api.ts';

type AdminUser = z.infer<typeof adminUserSchema>;

const USER_COLUMNS: ListColumn[] = [
  { label: 'Person' },
  { label: 'Role', className: 'hidden w-48 sm:table-cell' },
  { label: 'Department', className: 'hidden w-40 md:table-cell' },
  { label: 'Last sign-in', className: 'hidden w-32 lg:table-cell' },
  { label: 'Access', className: 'w-20 text-right sm:w-32' },
];

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
    <ListCard
      data-testid="admin-users"
      title="Users and roles"
      description="Role changes and deactivation take effect immediately."
      toolbar={
        <ListSearch
          value={search}
          onChange={setSearch}
          placeholder="Search name or email"
          label="Search users"
        />
      }
    >
      <ListState
        query={users}
        isEmpty={list.length === 0}
        empty={{ icon: <Users />, title: 'No users match', description: 'Try another name or email.' }}
      >
        <ListTable columns={USER_COLUMNS}>
          {list.map((user) => (
            <UserRow key={user.id} user={user} departments={paths} isSelf={user.id === me.id} />
          ))}
        </ListTable>
      </ListState>
    </ListCard>
  );
}
