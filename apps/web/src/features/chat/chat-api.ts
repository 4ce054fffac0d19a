import {
  type ConversationMode,
  conversationDetailSchema,
  conversationListSchema,
  conversationSchema,
  feedbackResponseSchema,
} from '@nexus/contracts';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiJson, apiSend } from '../../lib/api-client.ts';

export const chatKeys = {
  all: ['conversations'] as const,
  list: (mode: ConversationMode, search: string) => ['conversations', 'list', mode, search] as const,
  detail: (id: string) => ['conversations', 'detail', id] as const,
};

export function useConversations(mode: ConversationMode, search: string) {
  return useQuery({
    queryKey: chatKeys.list(mode, search),
    queryFn: ({ signal }) =>
      apiJson('/api/v1/conversations', conversationListSchema, {
        query: { mode, search: search || undefined, limit: 100 },
        signal,
      }),
    placeholderData: keepPreviousData,
  });
}

export function fetchConversation(id: string, signal?: AbortSignal) {
  return apiJson(`/api/v1/conversations/${id}`, conversationDetailSchema, signal ? { signal } : {});
}

export function useConversation(id: string | undefined) {
  return useQuery({
    queryKey: chatKeys.detail(id ?? 'none'),
    queryFn: ({ signal }) => fetchConversation(id!, signal),
    enabled: Boolean(id),
    staleTime: 30_000,
  });
}

export function useCreateConversation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: { mode: ConversationMode; title?: string }) =>
      apiJson('/api/v1/conversations', conversationSchema, { method: 'POST', json: input }),
    onSuccess: (conversation) => {
      queryClient.setQueryData(chatKeys.detail(conversation.id), { ...conversation, messages: [] });
      void queryClient.invalidateQueries({ queryKey: ['conversations', 'list'] });
    },
  });
}

export function useRenameConversation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, title }: { id: string; title: string }) =>
      apiJson(`/api/v1/conversations/${id}`, conversationSchema, { method: 'PATCH', json: { title } }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: chatKeys.all }),
  });
}

export function useDeleteConversation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => apiSend(`/api/v1/conversations/${id}`, { method: 'DELETE' }),
    onSuccess: (_result, id) => {
      queryClient.removeQueries({ queryKey: chatKeys.detail(id) });
      return queryClient.invalidateQueries({ queryKey: ['conversations', 'list'] });
    },
  });
}

export function useSendFeedback(conversationId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ messageId, rating, comment }: { messageId: string; rating: 1 | -1; comment?: string }) =>
      apiJson(`/api/v1/messages/${messageId}/feedback`, feedbackResponseSchema, {
        method: 'POST',
        json: comment ? { rating, comment } : { rating },
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: chatKeys.detail(conversationId) }),
  });
}
