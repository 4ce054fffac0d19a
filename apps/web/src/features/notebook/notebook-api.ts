import {
  conversationDetailSchema,
  type NotebookSession,
  notebookSessionListSchema,
  notebookSessionSchema,
  notebookUploadAcceptedSchema,
} from '@nexus/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import { ApiError, apiJson, apiSend } from '../../lib/api-client.ts';
import { postFormWithProgress } from '../../lib/upload.ts';
import { chatKeys } from '../chat/chat-api.ts';

export const notebookKeys = {
  all: ['notebook'] as const,
  list: ['notebook', 'list'] as const,
  detail: (id: string) => ['notebook', 'detail', id] as const,
  conversation: (id: string) => ['notebook', 'conversation', id] as const,
};

function isIndexing(session: NotebookSession | undefined): boolean {
  return Boolean(session?.files.some((file) => file.status === 'pending' || file.status === 'processing'));
}

export function useNotebookSessions() {
  return useQuery({
    queryKey: notebookKeys.list,
    queryFn: ({ signal }) => apiJson('/api/v1/notebook/sessions', notebookSessionListSchema, { signal }),
  });
}

/** A session; polled while any of its files is still being indexed. */
export function useNotebookSession(id: string | undefined) {
  return useQuery({
    queryKey: notebookKeys.detail(id ?? 'none'),
    queryFn: ({ signal }) => apiJson(`/api/v1/notebook/sessions/${id}`, notebookSessionSchema, { signal }),
    enabled: Boolean(id),
    refetchInterval: (query) => (isIndexing(query.state.data) ? 1_000 : false),
  });
}

/** The session's conversation (started on first use); its messages live under the chat keys. */
export function useNotebookConversation(id: string | undefined) {
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: notebookKeys.conversation(id ?? 'none'),
    queryFn: async ({ signal }) => {
      const conversation = await apiJson(
        `/api/v1/notebook/sessions/${id}/conversation`,
        conversationDetailSchema,
        { signal },
      );
      queryClient.setQueryData(chatKeys.detail(conversation.id), conversation);
      return { id: conversation.id };
    },
    enabled: Boolean(id),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

function useSessionMutation<TInput>(request: (input: TInput) => Promise<NotebookSession | undefined>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: request,
    onSuccess: (session) => {
      if (session) queryClient.setQueryData(notebookKeys.detail(session.id), session);
      void queryClient.invalidateQueries({ queryKey: notebookKeys.list });
    },
  });
}

export function useCreateSession() {
  return useSessionMutation((title: string | undefined) =>
    apiJson('/api/v1/notebook/sessions', notebookSessionSchema, {
      method: 'POST',
      json: title ? { title } : {},
    }),
  );
}

export function useSetPinned() {
  return useSessionMutation(({ id, isPinned }: { id: string; isPinned: boolean }) =>
    apiJson(`/api/v1/notebook/sessions/${id}/${isPinned ? 'pin' : 'unpin'}`, notebookSessionSchema, {
      method: 'POST',
    }),
  );
}

export function useRenameSession() {
  return useSessionMutation(({ id, title }: { id: string; title: string }) =>
    apiJson(`/api/v1/notebook/sessions/${id}`, notebookSessionSchema, { method: 'PATCH', json: { title } }),
  );
}

export function useDeleteSession() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => apiSend(`/api/v1/notebook/sessions/${id}`, { method: 'DELETE' }),
    onSuccess: (_result, id) => {
      queryClient.removeQueries({ queryKey: notebookKeys.detail(id) });
      void queryClient.invalidateQueries({ queryKey: notebookKeys.list });
    },
  });
}

export function useDeleteFile(sessionId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (fileId: string) =>
      apiSend(`/api/v1/notebook/sessions/${sessionId}/files/${fileId}`, { method: 'DELETE' }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: notebookKeys.detail(sessionId) });
      void queryClient.invalidateQueries({ queryKey: notebookKeys.list });
    },
  });
}

export type NotebookUploadAccepted = z.infer<typeof notebookUploadAcceptedSchema>;

/** Uploads files to a session with progress; the server indexes each as a job. */
export async function uploadNotebookFiles(input: {
  sessionId: string;
  files: readonly File[];
  onProgress: (fraction: number) => void;
  signal?: AbortSignal;
}): Promise<NotebookUploadAccepted> {
  const body = await postFormWithProgress(
    `/api/v1/notebook/sessions/${input.sessionId}/upload`,
    () => {
      const form = new FormData();
      for (const file of input.files) form.append('file', file, file.name);
      return form;
    },
    { onProgress: input.onProgress, signal: input.signal },
  );
  const parsed = notebookUploadAcceptedSchema.safeParse(body);
  if (!parsed.success) throw new ApiError(202, 'bad_response', 'Unexpected upload response.');
  return parsed.data;
}

/** "23 h left", "40 min left", or "Pinned". */
export function timeLeft(
  session: Pick<NotebookSession, 'is_pinned' | 'expires_at'>,
  now = Date.now(),
): string {
  if (session.is_pinned || !session.expires_at) return 'Pinned';
  const minutes = Math.max(0, Math.round((Date.parse(session.expires_at) - now) / 60_000));
  if (minutes >= 120) return `${Math.floor(minutes / 60)} h left`;
  if (minutes >= 60) return `1 h ${minutes - 60} min left`;
  return `${minutes} min left`;
}
