import type { documentSchema, User } from '@nexus/contracts';
import { FileText, Trash2 } from 'lucide-react';
import { useEffect, useState } from 'react';
import type { z } from 'zod';
import { Badge, type BadgeTone } from '../../components/ui/badge.tsx';
import { Button } from '../../components/ui/button.tsx';
import {
  ListCard,
  type ListColumn,
  ListPager,
  ListSearch,
  ListState,
  ListTable,
} from '../../components/ui/data-list.tsx';
import { ConfirmDialog } from '../../components/ui/dialog.tsx';
import { Select } from '../../components/ui/field.tsx';
import { PageHeader } from '../../components/ui/layout.tsx';
import { Tooltip } from '../../components/ui/tooltip.tsx';
import { formatBytes, formatRelativeTime } from '../../lib/format.ts';
import { useDebouncedValue } from '../../lib/use-debounced-value.ts';
import { useUser } from '../auth/session.ts';
import { Page } from '../shell/app-shell.tsx';
import { type DocumentStatusFilter, useDeleteDocument, useDocuments } from './documents-api.ts';
import { UploadPanel } from './upload-panel.tsx';

type DocumentItem = z.infer<typeof documentSchema>;

const PAGE_SIZE = 20;

const STATUS: Record<DocumentItem['status'], { label: string; tone: BadgeTone }> = {
  ready: { label: 'Ready', tone: 'success' },
  processing: { label: 'Processing', tone: 'accent' },
  pending: { label: 'Queued', tone: 'neutral' },
  failed: { label: 'Failed', tone: 'danger' },
};

const KINDS: [RegExp, string, string][] = [
  [/pdf/, 'PDF', 'PDF'],
  [/wordprocessingml|msword/, 'Word', 'DOC'],
  [/spreadsheetml|excel/, 'Excel', 'XLS'],
  [/presentationml|powerpoint/, 'PowerPoint', 'PPT'],
  [/html/, 'HTML', 'HTML'],
  [/markdown/, 'Markdown', 'MD'],
  [/csv/, 'CSV', 'CSV'],
  [/json/, 'JSON', 'JSON'],
  [/text\/plain/, 'Text', 'TXT'],
];

/** "Word" and "DOC" for a DOCX MIME type. */
export function documentKind(mimeType: string | null): { label: string; short: string } {
  const found = mimeType ? KINDS.find(([pattern]) => pattern.test(mimeType)) : undefined;
  return found ? { label: found[1], short: found[2] } : { label: 'File', short: 'FILE' };
}

/** Mirrors the server's rule, to offer Delete only where it would succeed. */
export function canManageDocument(user: User, document: DocumentItem): boolean {
  if (user.role === 'super_admin') return true;
  if (user.role !== 'content_manager' || !user.department) return false;
  const region = user.department.code.split('/')[0]!;
  return document.departments.includes(user.department.code) || document.regions.includes(region);
}

function ScopeChips({ document }: { document: DocumentItem }) {
  const codes = [...document.departments, ...document.regions];
  if (codes.length === 0) return <span className="text-[13px] text-fg-subtle">Everyone</span>;
  return (
    <div className="flex flex-wrap gap-1">
      {codes.map((code) => (
        <Badge key={code} tone="neutral" className="font-mono text-[11px]">
          {code}
        </Badge>
      ))}
    </div>
  );
}

const DOCUMENT_COLUMNS: ListColumn[] = [
  { label: 'Title' },
  { label: 'Shared with', className: 'hidden w-44 md:table-cell' },
  { label: 'Status', className: 'w-28' },
  { label: 'Size', className: 'hidden w-24 text-right lg:table-cell' },
  { label: 'Updated', className: 'hidden w-32 sm:table-cell' },
  { label: 'Actions', className: 'w-14', isHiddenLabel: true },
];

function DocumentRow({
  document,
  canManage,
  onDelete,
}: {
  document: DocumentItem;
  canManage: boolean;
  onDelete: () => void;
}) {
  const kind = documentKind(document.mime_type);
  return (
    <tr className="transition-colors hover:bg-surface-muted/50" data-testid="document-row">
      <td className="px-5 py-3">
        <div className="flex items-center gap-3">
          <div className="flex size-8 shrink-0 items-center justify-center rounded-lg bg-surface-muted text-[10px] font-semibold text-fg-muted">
            {kind.short}
          </div>
          <div className="min-w-0">
            <p className="truncate font-medium text-fg" data-testid="document-title" title={document.title}>
              {document.title}
            </p>
            <p className="truncate text-xs text-fg-subtle">
              {kind.label}
              {document.chunk_count
                ? ` · ${document.chunk_count} passage${document.chunk_count === 1 ? '' : 's'}`
                : ''}
              {document.error ? ` · ${document.error}` : ''}
            </p>
          </div>
        </div>
      </td>
      <td className="hidden px-3 py-3 md:table-cell">
        <ScopeChips document={document} />
      </td>
      <td className="px-3 py-3">
        <Badge tone={STATUS[document.status].tone} dot data-testid="document-status">
          {STATUS[document.status].label}
        </Badge>
      </td>
      <td className="hidden px-3 py-3 text-right text-fg-muted tabular-nums lg:table-cell">
        {formatBytes(document.size_bytes)}
      </td>
      <td className="hidden px-3 py-3 whitespace-nowrap text-fg-muted sm:table-cell">
        {formatRelativeTime(document.updated_at)}
      </td>
      <td className="px-3 py-3 text-right">
        {canManage ? (
          <Tooltip content="Delete">
            <Button
              variant="ghost"
              size="icon-sm"
              aria-label={`Delete ${document.title}`}
              onClick={onDelete}
              data-testid="delete-document"
            >
              <Trash2 className="size-4" />
            </Button>
          </Tooltip>
        ) : null}
      </td>
    </tr>
  );
}

export function DocumentsPage() {
  const user = useUser();
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState<DocumentStatusFilter>('all');
  const [offset, setOffset] = useState(0);
  const debouncedSearch = useDebouncedValue(search.trim(), 250);
  const documents = useDocuments({ search: debouncedSearch, status, offset, limit: PAGE_SIZE });
  const deleteDocument = useDeleteDocument();
  const [deleting, setDeleting] = useState<DocumentItem | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new filter starts from the first page
  useEffect(() => setOffset(0), [debouncedSearch, status]);

  const total = documents.data?.total ?? 0;
  const rows = documents.data?.documents ?? [];
  const isFiltered = debouncedSearch !== '' || status !== 'all';

  return (
    <Page data-testid="documents-page">
      <PageHeader
        title="Documents"
        description="The knowledge Nexus answers from. Each document is readable only by the departments and regions it is shared with."
      />
      <UploadPanel user={user} />

      <ListCard
        title="Library"
        count={documents.data ? total : undefined}
        toolbar={
          <>
            <ListSearch
              value={search}
              onChange={setSearch}
              placeholder="Search by title"
              label="Search documents by title"
              data-testid="document-search"
            />
            <Select
              aria-label="Filter by status"
              value={status}
              onChange={(event) => setStatus(event.target.value as DocumentStatusFilter)}
              className="h-9 w-full sm:w-40"
              data-testid="document-status-filter"
            >
              <option value="all">All statuses</option>
              <option value="ready">Ready</option>
              <option value="processing">Processing</option>
              <option value="pending">Queued</option>
              <option value="failed">Failed</option>
            </Select>
          </>
        }
        footer={<ListPager offset={offset} pageSize={PAGE_SIZE} total={total} onOffsetChange={setOffset} />}
      >
        <ListState
          query={documents}
          isEmpty={rows.length === 0}
          loadingLabel="Loading documents…"
          empty={{
            icon: <FileText />,
            title: isFiltered ? 'No documents match' : 'No documents yet',
            description: isFiltered
              ? 'Try another title or status.'
              : 'Upload a policy, handbook or report above to start answering questions from it.',
          }}
        >
          <ListTable columns={DOCUMENT_COLUMNS} data-testid="documents-table">
            {rows.map((document) => (
              <DocumentRow
                key={document.id}
                document={document}
                canManage={canManageDocument(user, document)}
                onDelete={() => setDeleting(document)}
              />
            ))}
          </ListTable>
        </ListState>
      </ListCard>

      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(open) => !open && setDeleting(null)}
        title="Delete this document?"
        description={`“${deleting?.title ?? ''}” will be removed from search and answers for everyone. This cannot be undone.`}
        confirmLabel="Delete document"
        onConfirm={async () => {
          if (deleting) await deleteDocument.mutateAsync(deleting.id);
        }}
      />
    </Page>
  );
}
