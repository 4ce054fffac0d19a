import type { User } from '@nexus/contracts';
import * as Popover from '@radix-ui/react-popover';
import { Building2, ChevronDown, Globe2, Users } from 'lucide-react';
import { useId } from 'react';
import { cn } from '../../lib/cn.ts';
import { useDepartments, useRegions } from './documents-api.ts';

export interface Scope {
  departments: string[];
  regions: string[];
}

export function describeScope(scope: Scope, user?: User): string {
  const parts = [...scope.departments, ...scope.regions];
  if (parts.length > 0) return parts.join(', ');
  // The server puts a content manager's unscoped upload in their own department.
  if (user && user.role !== 'super_admin' && user.department)
    return `${user.department.code} (your department)`;
  return 'Everyone in the organisation';
}

/** The default audience of an upload: the whole tenant for admins, their own department for content managers. */
export function defaultScope(user: User): Scope {
  if (user.role === 'super_admin' || !user.department) return { departments: [], regions: [] };
  return { departments: [user.department.code], regions: [] };
}

function Checkbox({
  label,
  description,
  checked,
  disabled,
  onChange,
}: {
  label: string;
  description?: string;
  checked: boolean;
  disabled?: boolean;
  onChange: (checked: boolean) => void;
}) {
  const id = useId();
  return (
    <label
      htmlFor={id}
      className={cn(
        'flex cursor-pointer items-center gap-2.5 rounded-lg px-2 py-1.5 text-sm hover:bg-surface-hover',
        disabled && 'cursor-not-allowed opacity-50 hover:bg-transparent',
      )}
    >
      <input
        id={id}
        type="checkbox"
        className="size-4 rounded accent-[var(--accent)]"
        checked={checked}
        disabled={disabled}
        onChange={(event) => onChange(event.target.checked)}
      />
      <span className="min-w-0 flex-1 truncate">
        <span className="font-medium text-fg">{label}</span>
        {description ? <span className="ml-1.5 text-fg-subtle">{description}</span> : null}
      </span>
    </label>
  );
}

/** Who may read what is uploaded next: departments and/or regions, or everyone. */
export function ScopePicker({
  user,
  value,
  onChange,
}: {
  user: User;
  value: Scope;
  onChange: (scope: Scope) => void;
}) {
  const regions = useRegions();
  const departments = useDepartments();
  const isAdmin = user.role === 'super_admin';
  const ownDepartment = user.department?.code;
  const ownRegion = ownDepartment?.split('/')[0];
  const toggle = (key: keyof Scope, code: string, checked: boolean) =>
    onChange({
      ...value,
      [key]: checked ? [...value[key], code] : value[key].filter((item) => item !== code),
    });

  return (
    <Popover.Root>
      <Popover.Trigger asChild>
        <button
          type="button"
          className="inline-flex h-9 max-w-full items-center gap-2 rounded-lg border border-line bg-surface px-3 text-sm shadow-card transition-colors hover:bg-surface-hover"
          data-testid="scope-picker"
        >
          {value.departments.length + value.regions.length === 0 ? (
            <Globe2 className="size-4 shrink-0 text-fg-subtle" aria-hidden />
          ) : (
            <Users className="size-4 shrink-0 text-fg-subtle" aria-hidden />
          )}
          <span className="text-fg-muted">Visible to:</span>
          <span className="truncate font-medium text-fg">{describeScope(value, user)}</span>
          <ChevronDown className="size-4 shrink-0 text-fg-subtle" aria-hidden />
        </button>
      </Popover.Trigger>
      <Popover.Portal>
        <Popover.Content
          align="start"
          sideOffset={6}
          collisionPadding={12}
          className="z-50 max-h-[min(28rem,70vh)] w-80 overflow-y-auto rounded-xl border border-line bg-surface p-2 shadow-pop animate-pop-in"
        >
          {isAdmin ? (
            <p className="px-2 pt-1 pb-2 text-xs text-fg-subtle">
              Nothing selected = everyone in the organisation can read it.
            </p>
          ) : (
            <p className="px-2 pt-1 pb-2 text-xs text-fg-subtle">
              As a content manager you can share with your own department or region.
            </p>
          )}
          <fieldset>
            <legend className="flex items-center gap-1.5 px-2 pt-1 pb-1 text-[11px] font-semibold tracking-wide text-fg-subtle uppercase">
              <Building2 className="size-3.5" aria-hidden /> Departments
            </legend>
            {(departments.data?.departments ?? []).map((department) => (
              <Checkbox
                key={department.id}
                label={department.path}
                description={department.name}
                checked={value.departments.includes(department.path)}
                disabled={!isAdmin && department.path !== ownDepartment}
                onChange={(checked) => toggle('departments', department.path, checked)}
              />
            ))}
          </fieldset>
          <fieldset className="mt-2 border-t border-line pt-2">
            <legend className="sr-only">Regions</legend>
            <p
              className="flex items-center gap-1.5 px-2 pb-1 text-[11px] font-semibold tracking-wide text-fg-subtle uppercase"
              aria-hidden
            >
              <Globe2 className="size-3.5" /> Whole regions
            </p>
            {(regions.data?.regions ?? []).map((region) => (
              <Checkbox
                key={region.id}
                label={region.code}
                description={region.name}
                checked={value.regions.includes(region.code)}
                disabled={!isAdmin && region.code !== ownRegion}
                onChange={(checked) => toggle('regions', region.code, checked)}
              />
            ))}
          </fieldset>
        </Popover.Content>
      </Popover.Portal>
    </Popover.Root>
  );
}
