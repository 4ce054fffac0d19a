import type { User } from '@nexus/contracts';
import { useQueryClient } from '@tanstack/react-query';
import { CheckCircle2, FileUp, Loader2, UploadCloud, X, XCircle } from 'lucide-react';
import { useEffect, useRef, useState } from 'react';
import { Button } from '../../components/ui/button.tsx';
import { HiddenFileInput, useFileDrop } from '../../components/ui/file-drop.tsx';
import { Card } from '../../components/ui/layout.tsx';
import { describeError } from '../../lib/api-client.ts';
import { cn } from '../../lib/cn.ts';
import { formatBytes } from '../../lib/format.ts';
import { uploadDocument, useJob } from './documents-api.ts';
import { defaultScope, describeScope, type Scope, ScopePicker } from './scope-picker.tsx';

interface UploadItem {
  key: string;
  file: File;
  scope: Scope;
  progress: number;
  phase: 'uploading' | 'ingesting' | 'ready' | 'unchanged' | 'failed';
  jobId?: string;
  error?: string;
}

function UploadRow({
  item,
  onChange,
  onDismiss,
}: {
  item: UploadItem;
  onChange: (change: Partial<UploadItem>) => void;
  onDismiss: () => void;
}) {
  const job = useJob(item.phase === 'ingesting' ? item.jobId : undefined);
  const queryClient = useQueryClient();
  const status = job.data?.status;
  const jobError = job.data?.error;
  // biome-ignore lint/correctness/useExhaustiveDependencies: react to the job finishing only
  useEffect(() => {
    if (status !== 'succeeded' && status !== 'failed') return;
    onChange(
      status === 'succeeded'
        ? { phase: 'ready' }
        : { phase: 'failed', error: jobError ?? 'The document could not be processed.' },
    );
    void queryClient.invalidateQueries({ queryKey: ['documents'] });
  }, [status]);
  const isIngesting = item.phase === 'ingesting';
  const jobProgress = job.data?.progress ?? 0;
  const barValue = item.phase === 'uploading' ? item.progress : isIngesting ? jobProgress : 1;
  const statusText =
    item.phase === 'uploading'
      ? `Uploading · ${Math.round(item.progress * 100)}%`
      : isIngesting
        ? job.data?.status === 'running'
          ? `Processing · ${Math.round(jobProgress * 100)}%`
          : 'Queued for processing'
        : item.phase === 'ready'
          ? 'Ready to answer questions'
          : item.phase === 'unchanged'
            ? 'Already up to date'
            : (item.error ?? 'Failed');
  return (
    <li
      className="flex items-center gap-3 rounded-xl border border-line bg-surface px-3.5 py-3"
      data-testid="upload-item"
      data-phase={item.phase}
    >
      <div
        className={cn(
          'flex size-9 shrink-0 items-center justify-center rounded-lg',
          item.phase === 'failed'
            ? 'bg-danger-soft text-danger'
            : item.phase === 'ready' || item.phase === 'unchanged'
              ? 'bg-success-soft text-success'
              : 'bg-accent-soft text-accent-soft-fg',
        )}
      >
        {item.phase === 'failed' ? (
          <XCircle className="size-[18px]" aria-hidden />
        ) : item.phase === 'ready' || item.phase === 'unchanged' ? (
          <CheckCircle2 className="size-[18px]" aria-hidden />
        ) : (
          <Loader2 className="size-[18px] animate-spin" aria-hidden />
        )}
      </div>
      <div className="min-w-0 flex-1">
        <div className="flex items-baseline justify-between gap-3">
          <p className="truncate text-sm font-medium text-fg" title={item.file.name}>
            {item.file.name}
          </p>
          <span className="shrink-0 text-xs text-fg-subtle tabular-nums">{formatBytes(item.file.size)}</span>
        </div>
        <div
          className="mt-1.5 h-1.5 overflow-hidden rounded-full bg-surface-muted"
          role="progressbar"
          aria-label={`${item.file.name} progress`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(barValue * 100)}
        >
          <div
            className={cn(
              'h-full rounded-full transition-[width] duration-300',
              item.phase === 'failed'
                ? 'bg-danger'
                : item.phase === 'ready' || item.phase === 'unchanged'
                  ? 'bg-success'
                  : 'bg-accent',
            )}
            style={{ width: `${Math.max(4, barValue * 100)}%` }}
          />
        </div>
        <p
          className={cn('mt-1 truncate text-xs', item.phase === 'failed' ? 'text-danger' : 'text-fg-subtle')}
          data-testid="upload-status"
          aria-live="polite"
        >
          {statusText}
          {item.phase !== 'failed' ? ` · ${describeScope(item.scope)}` : ''}
        </p>
      </div>
      {item.phase === 'ready' || item.phase === 'failed' || item.phase === 'unchanged' ? (
        <Button variant="ghost" size="icon-sm" aria-label={`Dismiss ${item.file.name}`} onClick={onDismiss}>
          <X className="size-4" />
        </Button>
      ) : null}
    </li>
  );
}

/** Drag-and-drop (or browse) upload with the audience chosen first, and per-file progress. */
export function UploadPanel({ user }: { user: User }) {
  const [scope, setScope] = useState<Scope>(() => defaultScope(user));
  const [items, setItems] = useState<UploadItem[]>([]);
  const input = useRef<HTMLInputElement>(null);
  const queryClient = useQueryClient();

  const change = (key: string, update: Partial<UploadItem>) =>
    setItems((current) => current.map((item) => (item.key === key ? { ...item, ...update } : item)));

  const start = (files: File[]) => {
    for (const file of files) {
      const key = `${file.name}-${file.size}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const item: UploadItem = { key, file, scope, progress: 0, phase: 'uploading' };
      setItems((current) => [item, ...current]);
      uploadDocument({
        file,
        departments: scope.departments,
        regions: scope.regions,
        onProgress: (progress) => change(key, { progress }),
      })
        .then((accepted) => {
          change(key, {
            progress: 1,
            jobId: accepted.job_id,
            phase: accepted.status === 'unchanged' ? 'unchanged' : 'ingesting',
          });
          void queryClient.invalidateQueries({ queryKey: ['documents'] });
        })
        .catch((error: unknown) => change(key, { phase: 'failed', error: describeError(error) }));
    }
  };

  const { isDragging, handlers } = useFileDrop(start);

  return (
    <Card className="p-5" data-testid="upload-panel">
      <div className="mb-4 flex flex-wrap items-center justify-between gap-3">
        <div>
          <h2 className="text-[15px] font-semibold">Upload documents</h2>
          <p className="text-[13px] text-fg-muted">
            Files are parsed, indexed and ready to answer questions in seconds.
          </p>
        </div>
        <ScopePicker user={user} value={scope} onChange={setScope} />
      </div>
      <div
        {...handlers}
        className={cn(
          'flex flex-col items-center justify-center rounded-xl border-2 border-dashed px-6 py-9 text-center transition-colors',
          isDragging ? 'border-accent bg-accent-soft/60' : 'border-line-strong/70 bg-surface-muted/40',
        )}
        data-testid="dropzone"
      >
        <div
          className={cn(
            'mb-3 flex size-11 items-center justify-center rounded-xl transition-colors',
            isDragging ? 'bg-accent text-accent-fg' : 'bg-surface text-fg-muted shadow-card',
          )}
        >
          {isDragging ? (
            <FileUp className="size-5" aria-hidden />
          ) : (
            <UploadCloud className="size-5" aria-hidden />
          )}
        </div>
        <p className="text-sm font-medium text-fg">
          {isDragging ? 'Drop to upload' : 'Drag files here, or '}
          {isDragging ? null : (
            <button
              type="button"
              className="rounded text-accent underline-offset-2 hover:underline"
              onClick={() => input.current?.click()}
              data-testid="browse-files"
            >
              browse
            </button>
          )}
        </p>
        <p className="mt-1 text-xs text-fg-subtle">
          PDF, Word, Excel, PowerPoint, HTML, Markdown, CSV, JSON or text
        </p>
        <HiddenFileInput
          inputRef={input}
          label="Choose files to upload"
          data-testid="file-input"
          onFiles={start}
        />
      </div>
      {items.length ? (
        <ul className="mt-4 space-y-2" aria-label="Uploads">
          {items.map((item) => (
            <UploadRow
              key={item.key}
              item={item}
              onChange={(update) => change(item.key, update)}
              onDismiss={() =>
                setItems((current) => current.filter((candidate) => candidate.key !== item.key))
              }
            />
          ))}
        </ul>
      ) : null}
    </Card>
  );
}
