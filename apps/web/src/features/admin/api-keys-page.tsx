import type { apiKeySchema } from '@nexus/contracts';
import { AlertTriangle, Check, Copy, KeyRound, Plus } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import type { z } from 'zod';
import { Alert } from '../../components/ui/alert.tsx';
import { Badge } from '../../components/ui/badge.tsx';
import { Button } from '../../components/ui/button.tsx';
import { ListCard, type ListColumn, ListState, ListTable } from '../../components/ui/data-list.tsx';
import { ConfirmDialog, Dialog } from '../../components/ui/dialog.tsx';
import { Field, Input } from '../../components/ui/field.tsx';
import { describeError } from '../../lib/api-client.ts';
import { copyText } from '../../lib/clipboard.ts';
import { formatDate, formatRelativeTime } from '../../lib/format.ts';
import { useApiKeys, useCreateApiKey, useRevokeApiKey } from './admin-api.ts';

type ApiKey = z.infer<typeof apiKeySchema>;

function keyState(key: ApiKey): { label: string; tone: 'success' | 'neutral' | 'danger' } {
  if (key.revoked_at) return { label: 'Revoked', tone: 'danger' };
  if (key.expires_at && new Date(key.expires_at).getTime() < Date.now())
    return { label: 'Expired', tone: 'neutral' };
  return { label: 'Active', tone: 'success' };
}

function CreateKeyDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (open: boolean) => void }) {
  const create = useCreateApiKey();
  const [name, setName] = useState('');
  const [rateLimit, setRateLimit] = useState('');
  const [expires, setExpires] = useState('');
  const [isCopied, setIsCopied] = useState(false);
  const close = (next: boolean) => {
    if (!next) {
      create.reset();
      setName('');
      setRateLimit('');
      setExpires('');
      setIsCopied(false);
    }
    onOpenChange(next);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({
      name: name.trim(),
      ...(rateLimit ? { rate_limit_per_minute: Number(rateLimit) } : {}),
      ...(expires ? { expires_at: new Date(`${expires}T23:59:59`).toISOString() } : {}),
    });
  };
  const secret = create.data?.key;
  return (
    <Dialog
      open={open}
      onOpenChange={close}
      title={secret ? 'Copy your new API key' : 'Create API key'}
      description={secret ? undefined : 'Keys call the public API (/v1) for this organisation.'}
      data-testid="create-api-key-dialog"
    >
      {secret ? (
        <div className="space-y-4">
          <Alert tone="warning" title="Shown only once">
            Store it in your secret manager now. Nexus keeps only a hash and cannot show it again.
          </Alert>
          <div className="flex items-center gap-2 rounded-lg border border-line bg-surface-muted p-1.5 pl-3">
            <code className="min-w-0 flex-1 truncate font-mono text-[13px]" data-testid="api-key-secret">
              {secret}
            </code>
            <Button
              size="sm"
              onClick={async () => {
                await copyText(secret).catch(() => undefined);
                setIsCopied(true);
              }}
            >
              {isCopied ? <Check className="size-4 text-success" /> : <Copy className="size-4" />}
              {isCopied ? 'Copied' : 'Copy'}
            </Button>
          </div>
          <div className="flex justify-end">
            <Button variant="primary" onClick={() => close(false)} data-testid="api-key-done">
              Done
            </Button>
          </div>
        </div>
      ) : (
        <form onSubmit={submit} className="space-y-4">
          <Field label="Name" hint="Who or what uses it, e.g. “Intranet search widget”.">
            {(ids) => (
              <Input
                {...ids}
                value={name}
                onChange={(event) => setName(event.target.value)}
                maxLength={100}
                autoFocus
                data-testid="api-key-name"
              />
            )}
          </Field>
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Requests per minute" hint="Blank = the default limit.">
              {(ids) => (
                <Input
                  {...ids}
                  type="number"
                  min={1}
                  max={100000}
                  value={rateLimit}
                  onChange={(event) => setRateLimit(event.target.value)}
                />
              )}
            </Field>
            <Field label="Expires on" hint="Blank = never.">
              {(ids) => (
                <Input
                  {...ids}
                  type="date"
                  value={expires}
                  onChange={(event) => setExpires(event.target.value)}
                />
              )}
            </Field>
          </div>
          {create.error ? <Alert tone="danger">{describeError(create.error)}</Alert> : null}
          <div className="flex justify-end gap-2 pt-2">
            <Button onClick={() => close(false)}>Cancel</Button>
            <Button
              type="submit"
              variant="primary"
              disabled={!name.trim()}
              isLoading={create.isPending}
              data-testid="api-key-create"
            >
              Create key
            </Button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

const API_KEY_COLUMNS: ListColumn[] = [
  { label: 'Name' },
  { label: 'Status', className: 'w-28' },
  { label: 'Limit', className: 'hidden w-28 md:table-cell' },
  { label: 'Last used', className: 'hidden w-32 sm:table-cell' },
  { label: 'Created', className: 'hidden w-32 lg:table-cell' },
  { label: 'Actions', className: 'w-24', isHiddenLabel: true },
];

function ApiKeyRow({ apiKey: key, onRevoke }: { apiKey: ApiKey; onRevoke: () => void }) {
  const state = keyState(key);
  return (
    <tr data-testid="api-key-row">
      <td className="px-5 py-3">
        <p className="truncate font-medium">{key.name}</p>
        <p className="truncate font-mono text-xs text-fg-subtle">{key.prefix}…</p>
      </td>
      <td className="px-3 py-3">
        <Badge tone={state.tone} dot>
          {state.label}
        </Badge>
      </td>
      <td className="hidden px-3 py-3 text-fg-muted tabular-nums md:table-cell">
        {key.rate_limit_per_minute ? `${key.rate_limit_per_minute}/min` : 'Default'}
      </td>
      <td className="hidden px-3 py-3 text-fg-muted sm:table-cell">
        {key.last_used_at ? formatRelativeTime(key.last_used_at) : 'Never'}
      </td>
      <td className="hidden px-3 py-3 text-fg-muted lg:table-cell">{formatDate(key.created_at)}</td>
      <td className="px-5 py-3 text-right">
        {key.revoked_at ? null : (
          <Button size="sm" variant="ghost" className="text-danger" onClick={onRevoke}>
            Revoke
          </Button>
        )}
      </td>
    </tr>
  );
}

export function ApiKeysPage() {
  const keys = useApiKeys();
  const revoke = useRevokeApiKey();
  const [isCreating, setIsCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const list = keys.data?.api_keys ?? [];
  return (
    <ListCard
      data-testid="admin-api-keys"
      title="API keys"
      description="For applications that call Nexus. Revoked keys stop working at once."
      toolbar={
        <Button variant="primary" onClick={() => setIsCreating(true)} data-testid="new-api-key">
          <Plus className="size-4" /> Create key
        </Button>
      }
    >
      <ListState
        query={keys}
        isEmpty={list.length === 0}
        empty={{
          icon: <KeyRound />,
          title: 'No API keys yet',
          description: 'Create one to let an application ask Nexus questions.',
        }}
      >
        <ListTable columns={API_KEY_COLUMNS}>
          {list.map((key) => (
            <ApiKeyRow key={key.id} apiKey={key} onRevoke={() => setRevoking(key)} />
          ))}
        </ListTable>
      </ListState>
      <CreateKeyDialog open={isCreating} onOpenChange={setIsCreating} />
      <ConfirmDialog
        open={revoking !== null}
        onOpenChange={(open) => !open && setRevoking(null)}
        title="Revoke this API key?"
        description={
          <span className="flex gap-2">
            <AlertTriangle className="mt-0.5 size-4 shrink-0 text-warning" aria-hidden />
            Applications using “{revoking?.name}” will get 401 errors from now on.
          </span>
        }
        confirmLabel="Revoke key"
        onConfirm={() => revoking && revoke.mutateAsync(revoking.id)}
      />
    </ListCard>
  );
}
