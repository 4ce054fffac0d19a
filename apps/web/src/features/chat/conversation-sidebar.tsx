import type { Conversation, ConversationMode } from '@nexus/contracts';
import { MessageSquarePlus, MoreHorizontal, Pencil, Search, Trash2 } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { NavLink, useNavigate } from 'react-router-dom';
import { Alert } from '../../components/ui/alert.tsx';
import { Button } from '../../components/ui/button.tsx';
import { ConfirmDialog, Dialog } from '../../components/ui/dialog.tsx';
import { Field, Input } from '../../components/ui/field.tsx';
import { Menu, MenuContent, MenuItem, MenuTrigger } from '../../components/ui/menu.tsx';
import { Spinner } from '../../components/ui/spinner.tsx';
import { describeError } from '../../lib/api-client.ts';
import { cn } from '../../lib/cn.ts';
import { useDebouncedValue } from '../../lib/use-debounced-value.ts';
import { useConversations, useDeleteConversation, useRenameConversation } from './chat-api.ts';

function groupByAge(conversations: Conversation[], now = new Date()): [string, Conversation[]][] {
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const day = 24 * 3600 * 1000;
  const groups = new Map<string, Conversation[]>();
  for (const conversation of conversations) {
    const time = new Date(conversation.updated_at).getTime();
    const label =
      time >= startOfToday
        ? 'Today'
        : time >= startOfToday - day
          ? 'Yesterday'
          : time >= startOfToday - 7 * day
            ? 'Previous 7 days'
            : 'Older';
    groups.set(label, [...(groups.get(label) ?? []), conversation]);
  }
  return [...groups.entries()];
}

function ConversationItem({
  conversation,
  onRename,
  onDelete,
  onNavigate,
}: {
  conversation: Conversation;
  onRename: () => void;
  onDelete: () => void;
  onNavigate?: () => void;
}) {
  return (
    <li className="group relative">
      <NavLink
        to={`/chat/${conversation.id}`}
        onClick={onNavigate}
        data-testid="conversation-item"
        className={({ isActive }) =>
          cn(
            'flex h-9 items-center rounded-lg pr-9 pl-3 text-sm transition-colors',
            isActive
              ? 'bg-surface-muted font-medium text-fg'
              : 'text-fg-muted hover:bg-surface-hover hover:text-fg',
          )
        }
      >
        <span className="truncate">{conversation.title}</span>
      </NavLink>
      <div className="absolute top-1/2 right-1 -translate-y-1/2 opacity-100 transition-opacity md:opacity-0 md:group-focus-within:opacity-100 md:group-hover:opacity-100 md:has-[[data-state=open]]:opacity-100">
        <Menu>
          <MenuTrigger asChild>
            <Button
              variant="ghost"
              size="icon-sm"
              aria-label={`Actions for ${conversation.title}`}
              data-testid="conversation-actions"
            >
              <MoreHorizontal className="size-4" />
            </Button>
          </MenuTrigger>
          <MenuContent align="start">
            <MenuItem icon={<Pencil />} onSelect={onRename} data-testid="rename-conversation">
              Rename
            </MenuItem>
            <MenuItem icon={<Trash2 />} tone="danger" onSelect={onDelete} data-testid="delete-conversation">
              Delete
            </MenuItem>
          </MenuContent>
        </Menu>
      </div>
    </li>
  );
}

function RenameDialog({ conversation, onClose }: { conversation: Conversation; onClose: () => void }) {
  const rename = useRenameConversation();
  const [title, setTitle] = useState(conversation.title);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await rename.mutateAsync({ id: conversation.id, title: title.trim() });
    onClose();
  };
  return (
    <Dialog open onOpenChange={(open) => !open && onClose()} title="Rename conversation">
      <form onSubmit={submit} className="space-y-5">
        <Field label="Title" error={rename.error ? describeError(rename.error) : null}>
          {(ids) => (
            <Input
              {...ids}
              value={title}
              maxLength={200}
              autoFocus
              onChange={(event) => setTitle(event.target.value)}
              data-testid="rename-input"
            />
          )}
        </Field>
        <div className="flex justify-end gap-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button
            type="submit"
            variant="primary"
            disabled={!title.trim()}
            isLoading={rename.isPending}
            data-testid="rename-save"
          >
            Save
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

/** New conversation, search by title, and the conversations of the current mode. */
export function ConversationSidebar({
  mode,
  activeId,
  onNavigate,
}: {
  mode: ConversationMode;
  activeId: string | undefined;
  onNavigate?: () => void;
}) {
  const navigate = useNavigate();
  const [search, setSearch] = useState('');
  const debouncedSearch = useDebouncedValue(search.trim(), 250);
  const conversations = useConversations(mode, debouncedSearch);
  const deleteConversation = useDeleteConversation();
  const [renaming, setRenaming] = useState<Conversation | null>(null);
  const [deleting, setDeleting] = useState<Conversation | null>(null);
  const list = conversations.data?.conversations ?? [];

  return (
    <div className="flex h-full min-h-0 flex-col">
      <div className="space-y-2.5 p-3">
        <Button
          variant="primary"
          className="w-full"
          onClick={() => {
            navigate(mode === 'rag' ? '/chat' : `/chat?mode=${mode}`);
            onNavigate?.();
          }}
          data-testid="new-conversation"
        >
          <MessageSquarePlus className="size-4" />
          New conversation
        </Button>
        <div className="relative">
          <Search
            className="pointer-events-none absolute top-1/2 left-3 size-4 -translate-y-1/2 text-fg-subtle"
            aria-hidden
          />
          <Input
            type="search"
            value={search}
            onChange={(event) => setSearch(event.target.value)}
            placeholder="Search conversations"
            aria-label="Search conversations"
            className="h-9 pl-9 shadow-none"
            data-testid="conversation-search"
          />
        </div>
      </div>
      <nav aria-label="Conversations" className="min-h-0 flex-1 overflow-y-auto px-2 pb-4">
        {conversations.isPending ? (
          <div className="flex justify-center py-8 text-fg-subtle">
            <Spinner label="Loading conversations" />
          </div>
        ) : conversations.isError ? (
          <div className="p-1">
            <Alert tone="danger">{describeError(conversations.error)}</Alert>
          </div>
        ) : list.length === 0 ? (
          <p className="px-3 py-6 text-center text-[13px] text-fg-subtle" data-testid="conversations-empty">
            {debouncedSearch ? `No conversations match “${debouncedSearch}”.` : 'No conversations yet.'}
          </p>
        ) : (
          groupByAge(list).map(([label, items]) => (
            <div key={label} className="mt-3 first:mt-0">
              <p className="px-3 pb-1 text-[11px] font-semibold tracking-wide text-fg-subtle uppercase">
                {label}
              </p>
              <ul className="space-y-0.5">
                {items.map((conversation) => (
                  <ConversationItem
                    key={conversation.id}
                    conversation={conversation}
                    onNavigate={onNavigate}
                    onRename={() => setRenaming(conversation)}
                    onDelete={() => setDeleting(conversation)}
                  />
                ))}
              </ul>
            </div>
          ))
        )}
      </nav>
      {renaming ? <RenameDialog conversation={renaming} onClose={() => setRenaming(null)} /> : null}
      <ConfirmDialog
        open={deleting !== null}
        onOpenChange={(open) => !open && setDeleting(null)}
        title="Delete this conversation?"
        description={`“${deleting?.title ?? ''}” and its messages will be deleted. This cannot be undone.`}
        confirmLabel="Delete"
        onConfirm={async () => {
          if (!deleting) return;
          await deleteConversation.mutateAsync(deleting.id);
          if (deleting.id === activeId) navigate(mode === 'rag' ? '/chat' : `/chat?mode=${mode}`);
        }}
      />
    </div>
  );
}
