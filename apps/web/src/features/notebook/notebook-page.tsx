import type { NotebookFile, NotebookSession } from '@nexus/contracts';
import { useQueryClient } from '@tanstack/react-query';
import { Clock, FileText, NotebookPen, Pin, PinOff, Plus, Trash2, UploadCloud } from 'lucide-react';
import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { Alert } from '../../components/ui/alert.tsx';
import { Badge, type BadgeTone } from '../../components/ui/badge.tsx';
import { Button } from '../../components/ui/button.tsx';
import { ConfirmDialog } from '../../components/ui/dialog.tsx';
import { HiddenFileInput, useFileDrop } from '../../components/ui/file-drop.tsx';
import { EmptyState } from '../../components/ui/layout.tsx';
import { LoadingState } from '../../components/ui/spinner.tsx';
import { ApiError, describeError } from '../../lib/api-client.ts';
import { cn } from '../../lib/cn.ts';
import { formatBytes } from '../../lib/format.ts';
import { useAnswerStreams, usePendingTurn } from '../chat/answer-streams.tsx';
import { useConversation } from '../chat/chat-api.ts';
import { Composer } from '../chat/composer.tsx';
import { MessageThread } from '../chat/message-thread.tsx';
import {
  notebookKeys,
  timeLeft,
  uploadNotebookFiles,
  useCreateSession,
  useDeleteFile,
  useDeleteSession,
  useNotebookConversation,
  useNotebookSession,
  useNotebookSessions,
  useSetPinned,
} from './notebook-api.ts';

const STATUS: Record<NotebookFile['status'], { label: string; tone: BadgeTone }> = {
  ready: { label: 'Ready', tone: 'success' },
  processing: { label: 'Indexing', tone: 'accent' },
  pending: { label: 'Queued', tone: 'neutral' },
  failed: { label: 'Failed', tone: 'danger' },
};

/** The user's notebooks: newest first, with time left; the open one highlighted. */
function SessionList({ activeId }: { activeId: string | undefined }) {
  const sessions = useNotebookSessions();
  const create = useCreateSession();
  const navigate = useNavigate();
  const list = sessions.data?.sessions ?? [];
  return (
    <div className="flex h-full flex-col">
      <div className="flex h-14 shrink-0 items-center justify-between border-b border-line px-4">
        <h2 className="text-sm font-semibold">Notebooks</h2>
        <Button
          size="sm"
          variant="primary"
          isLoading={create.isPending}
          onClick={async () => {
            const session = await create.mutateAsync(undefined).catch(() => null);
            if (session) navigate(`/notebook/${session.id}`);
          }}
          data-testid="new-notebook"
        >
          <Plus className="size-4" /> New
        </Button>
      </div>
      {create.error ? (
        <Alert tone="danger" className="m-3">
          {describeError(create.error)}
        </Alert>
      ) : null}
      <nav className="min-h-0 flex-1 overflow-y-auto p-2" aria-label="Your notebooks">
        {sessions.isPending ? (
          <LoadingState />
        ) : sessions.isError ? (
          <Alert tone="danger" className="m-1">
            {describeError(sessions.error)}
          </Alert>
        ) : list.length === 0 ? (
          <p className="px-3 py-6 text-center text-[13px] text-fg-subtle">No notebooks yet.</p>
        ) : (
          <ul className="space-y-0.5">
            {list.map((session) => (
              <li key={session.id}>
                <Link
                  to={`/notebook/${session.id}`}
                  className={cn(
                    'block rounded-lg px-3 py-2 transition-colors hover:bg-surface-muted',
                    session.id === activeId && 'bg-accent-soft text-accent-soft-fg hover:bg-accent-soft',
                  )}
                  aria-current={session.id === activeId ? 'page' : undefined}
                  data-testid="notebook-item"
                >
                  <span className="block truncate text-sm font-medium">{session.title}</span>
                  <span className="flex items-center gap-1 text-xs text-fg-subtle">
                    {session.is_pinned ? (
                      <Pin className="size-3" aria-hidden />
                    ) : (
                      <Clock className="size-3" aria-hidden />
                    )}
                    {timeLeft(session)} · {session.files.length} file{session.files.length === 1 ? '' : 's'}
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </nav>
    </div>
  );
}

/** Drag-and-drop (or browse) upload of several files at once, with progress. */
function FileDrop({ session }: { session: NotebookSession }) {
  const queryClient = useQueryClient();
  const input = useRef<HTMLInputElement>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const left = Math.max(session.quota_bytes - session.total_size_bytes, 0);

  const start = async (files: File[]) => {
    setError(null);
    setProgress(0);
    try {
      await uploadNotebookFiles({ sessionId: session.id, files, onProgress: setProgress });
      await queryClient.invalidateQueries({ queryKey: notebookKeys.detail(session.id) });
      void queryClient.invalidateQueries({ queryKey: notebookKeys.list });
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setProgress(null);
    }
  };
  const { isDragging, handlers } = useFileDrop((files) => void start(files));

  return (
    <div>
      <div
        {...handlers}
        className={cn(
          'flex flex-col items-center rounded-xl border-2 border-dashed px-4 py-5 text-center transition-colors',
          isDragging ? 'border-accent bg-accent-soft/60' : 'border-line-strong/70 bg-surface-muted/40',
        )}
        data-testid="notebook-dropzone"
      >
        <UploadCloud className="mb-2 size-5 text-fg-muted" aria-hidden />
        <p className="text-sm font-medium">
          {isDragging ? 'Drop to add' : 'Drag files here, or '}
          {isDragging ? null : (
            <button
              type="button"
              className="rounded text-accent underline-offset-2 hover:underline"
              onClick={() => input.current?.click()}
            >
              browse
            </button>
          )}
        </p>
        <p className="mt-1 text-xs text-fg-subtle">{formatBytes(left)} left in this notebook</p>
        <HiddenFileInput
          inputRef={input}
          label="Choose files for this notebook"
          data-testid="notebook-file-input"
          onFiles={(files) => void start(files)}
        />
      </div>
      {progress !== null ? (
        <div className="mt-2" role="status" aria-label="Upload progress">
          <div className="h-1.5 overflow-hidden rounded-full bg-surface-muted">
            <div
              className="h-full bg-accent transition-all"
              style={{ width: `${Math.round(progress * 100)}%` }}
            />
          </div>
          <p className="mt-1 text-xs text-fg-subtle">Uploading… {Math.round(progress * 100)} %</p>
        </div>
      ) : null}
      {error ? (
        <Alert tone="danger" className="mt-2" data-testid="notebook-upload-error">
          {error}
        </Alert>
      ) : null}
    </div>
  );
}

/** The session's files as sources: chosen ones answer; each with status, guide and delete. */
function FileList({
  session,
  chosen,
  onToggle,
  onAsk,
}: {
  session: NotebookSession;
  chosen: ReadonlySet<string>;
  onToggle: (fileId: string) => void;
  onAsk: (question: string) => void;
}) {
  const deleteFile = useDeleteFile(session.id);
  const [deleting, setDeleting] = useState<NotebookFile | null>(null);
  if (session.files.length === 0) {
    return (
      <p className="py-2 text-[13px] text-fg-subtle">
        Add files to ask questions about them. Only you can see them.
      </p>
    );
  }
  return (
    <ul className="space-y-2" data-testid="notebook-files">
      {session.files.map((file) => (
        <li
          key={file.id}
          className="rounded-xl border border-line bg-surface p-3"
          data-testid="notebook-file"
        >
          <div className="flex items-start gap-2.5">
            <input
              type="checkbox"
              className="mt-1 size-4 accent-[var(--color-accent)]"
              checked={chosen.has(file.id)}
              onChange={() => onToggle(file.id)}
              disabled={file.status !== 'ready'}
              aria-label={`Answer from ${file.name}`}
            />
            <FileText className="mt-0.5 size-4 shrink-0 text-fg-subtle" aria-hidden />
            <div className="min-w-0 flex-1">
              <p className="truncate text-sm font-medium" title={file.name} data-testid="notebook-file-name">
                {file.name}
              </p>
              <p className="text-xs text-fg-subtle">
                {formatBytes(file.size_bytes)}
                {file.chunk_count ? ` · ${file.chunk_count} passage${file.chunk_count === 1 ? '' : 's'}` : ''}
              </p>
              {file.error ? <p className="mt-1 text-xs text-danger">{file.error}</p> : null}
            </div>
            <Badge tone={STATUS[file.status].tone} dot data-testid="notebook-file-status">
              {STATUS[file.status].label}
            </Badge>
            <Button
              variant="ghost"
              size="icon-sm"
              aria-label={`Delete ${file.name}`}
              onClick={() => setDeleting(file)}
            >
              <Trash2 className="size-4" />
            </Button>
          </div>
          {file.guide ? (
            <div className="mt-2.5 border-t border-line pt-2.5" data-testid="notebook-guide">
              <p className="text-[13px] leading-relaxed text-fg-muted">{file.guide.summary}</p>
              <div className="mt-2 flex flex-wrap gap-1.5">
                {file.guide.questions.map((question) => (
                  <button
                    key={question}
                    type="button"
                    onClick={() => onAsk(question)}
                    className="rounded-full border border-line px-2.5 py-1 text-left text-xs text-fg hover:border-accent hover:text-accent"
                    data-testid="suggested-question"
                  >
                    {question}
                  </button>
                ))}
              </div>
            </div>
          ) : null}
        </li>
      ))}
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(open) => !open && setDeleting(null)}
        title="Delete this file?"
        description={`“${deleting?.name ?? ''}” and its passages are removed from this notebook.`}
        confirmLabel="Delete file"
        onConfirm={() => deleting && deleteFile.mutateAsync(deleting.id)}
      />
    </ul>
  );
}

function SessionView({ sessionId }: { sessionId: string }) {
  const navigate = useNavigate();
  const session = useNotebookSession(sessionId);
  const conversationRef = useNotebookConversation(session.data ? sessionId : undefined);
  const conversationId = conversationRef.data?.id;
  const conversation = useConversation(conversationId);
  const streams = useAnswerStreams();
  const turn = usePendingTurn(streams, conversationId);
  const setPinned = useSetPinned();
  const deleteSession = useDeleteSession();
  const [isDeleting, setIsDeleting] = useState(false);
  const [draft, setDraft] = useState('');
  const [unchosen, setUnchosen] = useState<ReadonlySet<string>>(new Set());

  useEffect(() => {
    if (!conversationId) return;
    return () => streams.discard(conversationId);
  }, [conversationId, streams]);

  if (session.isPending) return <LoadingState label="Opening notebook…" />;
  if (session.isError) {
    const isGone = session.error instanceof ApiError && session.error.status === 404;
    return (
      <div className="mx-auto max-w-xl p-8">
        <Alert
          tone={isGone ? 'warning' : 'danger'}
          title={isGone ? 'Notebook not found' : 'The notebook could not be opened'}
        >
          {isGone ? 'It may have expired or been deleted.' : describeError(session.error)}
        </Alert>
      </div>
    );
  }
  const data = session.data;
  const ready = data.files.filter((file) => file.status === 'ready');
  const chosen = new Set(ready.map((file) => file.id).filter((id) => !unchosen.has(id)));
  const toggle = (fileId: string) =>
    setUnchosen((current) => {
      const next = new Set(current);
      if (next.has(fileId)) next.delete(fileId);
      else next.add(fileId);
      return next;
    });
  const ask = (question: string) => {
    if (!conversationId) return;
    setDraft('');
    const fileIds = chosen.size < ready.length ? [...chosen] : undefined;
    void streams.start(conversationId, question, {
      path: `/api/v1/notebook/sessions/${sessionId}/chat`,
      ...(fileIds ? { body: { file_ids: fileIds } } : {}),
    });
  };
  const messages = conversation.data?.messages ?? [];
  const canAsk = ready.length > 0 && chosen.size > 0 && Boolean(conversationId);

  return (
    <div className="flex h-full min-h-0 flex-col lg:flex-row">
      <div className="max-h-[45%] shrink-0 overflow-y-auto border-b border-line p-4 lg:max-h-none lg:w-96 lg:border-r lg:border-b-0">
        <div className="mb-3 flex items-start gap-2">
          <div className="min-w-0 flex-1">
            <h1 className="truncate text-[15px] font-semibold" data-testid="notebook-title">
              {data.title}
            </h1>
            <p className="flex items-center gap-1 text-xs text-fg-subtle" data-testid="notebook-time-left">
              {data.is_pinned ? (
                <Pin className="size-3" aria-hidden />
              ) : (
                <Clock className="size-3" aria-hidden />
              )}
              {data.is_pinned
                ? 'Pinned: kept until you delete it'
                : `${timeLeft(data)}, then deleted with its files`}
            </p>
          </div>
          <Button
            size="sm"
            variant="secondary"
            onClick={() => setPinned.mutate({ id: data.id, isPinned: !data.is_pinned })}
            isLoading={setPinned.isPending}
            aria-pressed={data.is_pinned}
            data-testid="notebook-pin"
          >
            {data.is_pinned ? <PinOff className="size-4" /> : <Pin className="size-4" />}
            {data.is_pinned ? 'Unpin' : 'Pin'}
          </Button>
          <Button
            size="icon-sm"
            variant="ghost"
            aria-label="Delete notebook"
            onClick={() => setIsDeleting(true)}
            data-testid="notebook-delete"
          >
            <Trash2 className="size-4" />
          </Button>
        </div>
        <FileDrop session={data} />
        <div className="mt-4">
          <FileList session={data} chosen={chosen} onToggle={toggle} onAsk={ask} />
        </div>
      </div>

      <section className="flex min-h-0 min-w-0 flex-1 flex-col" aria-label="Notebook chat">
        <div className="min-h-0 flex-1 overflow-y-auto">
          {messages.length > 0 || turn ? (
            <div className="mx-auto w-full max-w-3xl px-4 py-8 sm:px-6">
              <MessageThread
                conversationId={conversationId!}
                messages={messages}
                turn={turn}
                onAsk={ask}
                refusalHint="The files chosen in this notebook do not say. Try rephrasing, choose more files, or add one."
              />
            </div>
          ) : (
            <EmptyState
              icon={<NotebookPen />}
              title="Ask your files"
              description="Answers come only from the files in this notebook, with citations to the page or section."
            />
          )}
        </div>
        <div className="shrink-0 px-3 pt-2 pb-3 sm:px-6 sm:pb-5">
          <div className="mx-auto w-full max-w-3xl">
            <Composer
              value={draft}
              onChange={setDraft}
              onSubmit={ask}
              onStop={() => conversationId && streams.stop(conversationId)}
              isStreaming={streams.isStreaming(conversationId)}
              isDisabled={!canAsk}
              placeholder="Ask about your files…"
            />
            <p className="mt-2 text-center text-xs text-fg-subtle">
              {ready.length === 0
                ? 'Add a file and wait for it to be indexed to ask about it.'
                : chosen.size === ready.length
                  ? 'Answers use all files of this notebook. Nobody else can see them.'
                  : `Answers use ${chosen.size} of ${ready.length} files. Nobody else can see them.`}
            </p>
          </div>
        </div>
      </section>

      <ConfirmDialog
        open={isDeleting}
        onOpenChange={setIsDeleting}
        title="Delete this notebook?"
        description="Its files, passages and conversation are deleted for good."
        confirmLabel="Delete notebook"
        onConfirm={async () => {
          await deleteSession.mutateAsync(data.id);
          navigate('/notebook');
        }}
      />
    </div>
  );
}

export function NotebookPage() {
  const { sessionId } = useParams();
  return (
    <div className="flex h-full" data-testid="notebook-page">
      <aside
        className={cn(
          'w-full shrink-0 border-r border-line bg-surface/60 md:block md:w-72',
          sessionId && 'hidden',
        )}
        aria-label="Notebooks"
      >
        <SessionList activeId={sessionId} />
      </aside>
      <div className={cn('min-w-0 flex-1', !sessionId && 'hidden md:block')}>
        {sessionId ? (
          <div className="flex h-full flex-col">
            <Link to="/notebook" className="border-b border-line px-4 py-2 text-sm text-accent md:hidden">
              ← All notebooks
            </Link>
            <div className="min-h-0 flex-1">
              <SessionView key={sessionId} sessionId={sessionId} />
            </div>
          </div>
        ) : (
          <div className="flex h-full items-center justify-center">
            <EmptyState
              icon={<NotebookPen />}
              title="Private notebooks"
              description="Upload files of your own and ask about them. Only you can see them; a notebook is deleted 24 hours after you start it unless you pin it."
            />
          </div>
        )}
      </div>
    </div>
  );
}
