import { ChevronLeft, ChevronRight, Search } from 'lucide-react';
import type { ReactNode } from 'react';
import { describeError } from '../../lib/api-client.ts';
import { cn } from '../../lib/cn.ts';
import { Alert } from './alert.tsx';
import { Button } from './button.tsx';
import { Input } from './field.tsx';
import { Card, EmptyState } from './layout.tsx';
import { LoadingState } from './spinner.tsx';

/**
 * The scaffold of every list page (admin users, API keys, audit log, regions and
 * departments, the documents library): a card with a title bar, the query's loading /
 * error / empty states, a table, and a footer for paging. Pages supply only their
 * filters, columns and rows.
 */

/** A card whose title bar holds the title, an optional count and description, and the filters. */
export function ListCard({
  title,
  count,
  description,
  toolbar,
  footer,
  children,
  className,
  'data-testid': testId,
}: {
  title: ReactNode;
  /** Shown beside the title once known (e.g. the total number of documents). */
  count?: number | undefined;
  description?: ReactNode;
  toolbar?: ReactNode;
  footer?: ReactNode;
  children: ReactNode;
  className?: string;
  'data-testid'?: string;
}) {
  return (
    <Card className={className} data-testid={testId}>
      <div className="flex flex-wrap items-center gap-3 border-b border-line px-5 py-4">
        <div className="mr-auto">
          <h2 className="text-[15px] font-semibold text-fg">
            {title}
            {count === undefined ? null : (
              <span className="ml-2 text-sm font-normal text-fg-subtle tabular-nums" data-testid="list-count">
                {count.toLocaleString()}
              </span>
            )}
          </h2>
          {description ? <p className="text-[13px] text-fg-muted">{description}</p> : null}
        </div>
        {toolbar}
      </div>
      {children}
      {footer}
    </Card>
  );
}

/** What the scaffold needs to know of a query (TanStack Query's result fits). */
export interface ListQuery {
  isPending: boolean;
  isError: boolean;
  error: unknown;
}

/** A spinner while the query loads, its error, the empty state, or the list itself. */
export function ListState({
  query,
  isEmpty,
  loadingLabel,
  empty,
  children,
}: {
  query: ListQuery;
  isEmpty: boolean;
  loadingLabel?: string;
  empty: { icon: ReactNode; title: ReactNode; description?: ReactNode };
  children: ReactNode;
}) {
  if (query.isPending) return <LoadingState {...(loadingLabel ? { label: loadingLabel } : {})} />;
  if (query.isError) {
    return (
      <div className="p-5">
        <Alert tone="danger">{describeError(query.error)}</Alert>
      </div>
    );
  }
  if (isEmpty) return <EmptyState icon={empty.icon} title={empty.title} description={empty.description} />;
  return <>{children}</>;
}

/** A column heading: its label (read by screen readers only when `isHiddenLabel`) and classes. */
export interface ListColumn {
  label: string;
  /** Width, alignment and from which breakpoint it shows, e.g. `hidden w-32 md:table-cell`. */
  className?: string;
  isHiddenLabel?: boolean;
}

/** The table of a list: headings from `columns`, rows as children (one `<tr>` each). */
export function ListTable({
  columns,
  children,
  isFixed = true,
  'data-testid': testId,
}: {
  columns: ListColumn[];
  children: ReactNode;
  /** Fixed layout (widths from the headings); off for tables whose cells size themselves. */
  isFixed?: boolean;
  'data-testid'?: string;
}) {
  return (
    <div className="overflow-x-auto">
      <table className={cn('w-full text-sm', isFixed && 'table-fixed')} data-testid={testId}>
        <thead>
          <tr className="border-b border-line text-left text-xs text-fg-subtle">
            {columns.map((column, index) => (
              <th
                key={column.label}
                scope="col"
                className={cn(
                  'py-2.5 font-medium',
                  index === 0 || index === columns.length - 1 ? 'px-5' : 'px-3',
                  column.className,
                )}
              >
                {column.isHiddenLabel ? <span className="sr-only">{column.label}</span> : column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-line">{children}</tbody>
      </table>
    </div>
  );
}

/** The search box of a list's title bar. */
export function ListSearch({
  value,
  onChange,
  placeholder,
  label,
  'data-testid': testId,
}: {
  value: string;
  onChange: (value: string) => void;
  placeholder: string;
  label: string;
  'data-testid'?: string;
}) {
  return (
    <div className="relative w-full sm:w-64">
      <Search
        className="pointer-events-none absolute top-1/2 left-3 size-4 -translate-y-1/2 text-fg-subtle"
        aria-hidden
      />
      <Input
        type="search"
        placeholder={placeholder}
        aria-label={label}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        className="h-9 pl-9"
        data-testid={testId}
      />
    </div>
  );
}

/** Previous / next for a list paged by offset; nothing when everything fits on one page. */
export function ListPager({
  offset,
  pageSize,
  total,
  onOffsetChange,
}: {
  offset: number;
  pageSize: number;
  total: number;
  onOffsetChange: (offset: number) => void;
}) {
  if (total <= pageSize) return null;
  return (
    <div className="flex items-center justify-between border-t border-line px-5 py-3 text-[13px] text-fg-muted">
      <span className="tabular-nums">
        {offset + 1}–{Math.min(offset + pageSize, total)} of {total}
      </span>
      <div className="flex gap-1.5">
        <Button
          size="sm"
          disabled={offset === 0}
          onClick={() => onOffsetChange(Math.max(0, offset - pageSize))}
        >
          <ChevronLeft className="size-4" /> Previous
        </Button>
        <Button
          size="sm"
          disabled={offset + pageSize >= total}
          onClick={() => onOffsetChange(offset + pageSize)}
        >
          Next <ChevronRight className="size-4" />
        </Button>
      </div>
    </div>
  );
}

/** "Load more" for a list paged by cursor; nothing when there is no further page. */
export function ListLoadMore({
  hasMore,
  isLoading,
  onLoad,
  label,
}: {
  hasMore: boolean;
  isLoading: boolean;
  onLoad: () => void;
  label: string;
}) {
  if (!hasMore) return null;
  return (
    <div className="flex justify-center border-t border-line p-3">
      <Button size="sm" onClick={onLoad} isLoading={isLoading}>
        {label}
      </Button>
    </div>
  );
}
