import type { auditEventSchema } from '@nexus/contracts';
import { ChevronDown, ChevronRight, ScrollText } from 'lucide-react';
import { useMemo, useState } from 'react';
import type { z } from 'zod';
import { Badge, type BadgeTone } from '../../components/ui/badge.tsx';
import { Button } from '../../components/ui/button.tsx';
import {
  ListCard,
  type ListColumn,
  ListLoadMore,
  ListState,
  ListTable,
} from '../../components/ui/data-list.tsx';
import { Select } from '../../components/ui/field.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { useAdminUsers, useAuditLog } from './admin-api.ts';

type AuditEvent = z.infer<typeof auditEventSchema>;

const CATEGORIES = [
  { value: '', label: 'All events' },
  { value: 'auth.', label: 'Sign-in and sessions' },
  { value: 'user.', label: 'Users' },
  { value: 'document.', label: 'Documents' },
  { value: 'api_key.', label: 'API keys' },
  { value: 'region.', label: 'Regions' },
  { value: 'department.', label: 'Departments' },
  { value: 'sso.', label: 'Single sign-on' },
];

function actionTone(action: string): BadgeTone {
  if (/failed|locked|reused|revoked|deleted|deactivated/.test(action)) return 'danger';
  if (action.startsWith('auth.')) return 'neutral';
  return 'accent';
}

function Json({ label, value }: { label: string; value: unknown }) {
  if (value === null || value === undefined) return null;
  return (
    <div className="min-w-0 flex-1">
      <p className="mb-1 text-xs font-medium text-fg-subtle">{label}</p>
      <pre className="overflow-x-auto rounded-lg border border-line bg-surface-muted p-3 font-mono text-xs leading-relaxed">
        {JSON.stringify(value, null, 2)}
      </pre>
    </div>
  );
}

const AUDIT_COLUMNS: ListColumn[] = [
  { label: 'Details', className: 'w-8 pl-4', isHiddenLabel: true },
  { label: 'When' },
  { label: 'Event' },
  { label: 'Actor', className: 'hidden sm:table-cell' },
  { label: 'Target', className: 'hidden md:table-cell' },
  { label: 'IP address', className: 'hidden lg:table-cell' },
];

function AuditRow({
  event,
  actor,
  isOpen,
  onToggle,
}: {
  event: AuditEvent;
  actor: string;
  isOpen: boolean;
  onToggle: () => void;
}) {
  const hasDetails = event.before != null || event.after != null;
  return (
    <>
      <tr data-testid="audit-row">
        <td className="py-2.5 pl-4">
          {hasDetails ? (
            <Button
              variant="ghost"
              size="icon-sm"
              aria-expanded={isOpen}
              aria-label={isOpen ? 'Hide details' : 'Show details'}
              onClick={onToggle}
            >
              {isOpen ? <ChevronDown className="size-4" /> : <ChevronRight className="size-4" />}
            </Button>
          ) : null}
        </td>
        <td className="px-3 py-2.5 whitespace-nowrap text-fg-muted tabular-nums">
          {formatDateTime(event.created_at)}
        </td>
        <td className="px-3 py-2.5">
          <Badge tone={actionTone(event.action)} className="font-mono text-[11px]">
            {event.action}
          </Badge>
        </td>
        <td className="hidden px-3 py-2.5 sm:table-cell">{actor}</td>
        <td className="hidden max-w-56 truncate px-3 py-2.5 text-fg-muted md:table-cell">
          {event.target_type ? `${event.target_type} ${event.target_id?.slice(0, 8) ?? ''}` : '—'}
        </td>
        <td className="hidden px-5 py-2.5 font-mono text-xs text-fg-muted lg:table-cell">
          {event.ip ?? '—'}
        </td>
      </tr>
      {isOpen ? (
        <tr className="bg-surface-muted/40">
          <td />
          <td colSpan={5} className="px-3 py-3">
            <div className="flex flex-col gap-3 md:flex-row">
              <Json label="Before" value={event.before} />
              <Json label="After" value={event.after} />
            </div>
          </td>
        </tr>
      ) : null}
    </>
  );
}

export function AuditLogPage() {
  const [category, setCategory] = useState('');
  const log = useAuditLog(category);
  const users = useAdminUsers('');
  const [expanded, setExpanded] = useState<number | null>(null);
  const names = useMemo(
    () => new Map((users.data?.users ?? []).map((user) => [user.id, user.display_name])),
    [users.data],
  );
  const events = log.data?.pages.flatMap((page) => page.events) ?? [];
  const actor = (event: AuditEvent) =>
    event.actor_user_id
      ? (names.get(event.actor_user_id) ?? 'Unknown user')
      : event.actor_api_key_id
        ? 'API key'
        : 'System';

  return (
    <ListCard
      data-testid="admin-audit-log"
      title="Audit log"
      description="Security and administrative events, newest first."
      toolbar={
        <Select
          aria-label="Filter events"
          value={category}
          onChange={(event) => setCategory(event.target.value)}
          className="h-9 w-full sm:w-52"
        >
          {CATEGORIES.map((item) => (
            <option key={item.value} value={item.value}>
              {item.label}
            </option>
          ))}
        </Select>
      }
      footer={
        <ListLoadMore
          hasMore={log.hasNextPage}
          isLoading={log.isFetchingNextPage}
          onLoad={() => log.fetchNextPage()}
          label="Load older events"
        />
      }
    >
      <ListState
        query={log}
        isEmpty={events.length === 0}
        empty={{
          icon: <ScrollText />,
          title: 'No events',
          description: 'Nothing has been recorded for this filter yet.',
        }}
      >
        <ListTable columns={AUDIT_COLUMNS} isFixed={false}>
          {events.map((event) => (
            <AuditRow
              key={event.id}
              event={event}
              actor={actor(event)}
              isOpen={expanded === event.id}
              onToggle={() => setExpanded(expanded === event.id ? null : event.id)}
            />
          ))}
        </ListTable>
      </ListState>
    </ListCard>
  );
}
