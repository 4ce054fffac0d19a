import {
  adminUserListSchema,
  adminUserSchema,
  apiKeyCreatedSchema,
  apiKeyListSchema,
  auditLogSchema,
  departmentSchema,
  regionSchema,
} from '@nexus/contracts';
import {
  keepPreviousData,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import { apiJson, apiSend } from '../../lib/api-client.ts';

export function useAdminUsers(search: string) {
  return useQuery({
    queryKey: ['admin', 'users', search],
    queryFn: ({ signal }) =>
      apiJson('/api/v1/admin/users', adminUserListSchema, { query: { search: search || undefined }, signal }),
    placeholderData: keepPreviousData,
  });
}

export interface UserPatch {
  role?: 'super_admin' | 'content_manager' | 'user';
  department?: string | null;
  is_active?: boolean;
}

export function useUpdateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: UserPatch }) =>
      apiJson(`/api/v1/admin/users/${id}`, adminUserSchema, { method: 'PATCH', json: patch }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['admin', 'users'] }),
  });
}

export function useCreateRegion() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: { code: string; name: string }) =>
      apiJson('/api/v1/admin/regions', regionSchema, { method: 'POST', json: input }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['regions'] }),
  });
}

export function useDeleteRegion() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => apiSend(`/api/v1/admin/regions/${id}`, { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['regions'] }),
  });
}

export function useCreateDepartment() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: { region: string; code: string; name: string }) =>
      apiJson('/api/v1/admin/departments', departmentSchema, { method: 'POST', json: input }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['departments'] }),
  });
}

export function useDeleteDepartment() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => apiSend(`/api/v1/admin/departments/${id}`, { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['departments'] }),
  });
}

export function useApiKeys() {
  return useQuery({
    queryKey: ['admin', 'api-keys'],
    queryFn: () => apiJson('/api/v1/admin/api-keys', apiKeyListSchema),
  });
}

export function useCreateApiKey() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: { name: string; rate_limit_per_minute?: number; expires_at?: string }) =>
      apiJson('/api/v1/admin/api-keys', apiKeyCreatedSchema, { method: 'POST', json: input }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['admin', 'api-keys'] }),
  });
}

export function useRevokeApiKey() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => apiSend(`/api/v1/admin/api-keys/${id}`, { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['admin', 'api-keys'] }),
  });
}

export function useAuditLog(action: string) {
  return useInfiniteQuery({
    queryKey: ['admin', 'audit-log', action],
    queryFn: ({ pageParam, signal }) =>
      apiJson('/api/v1/admin/audit-log', auditLogSchema, {
        query: { limit: 50, before: pageParam, action: action || undefined },
        signal,
      }),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (page) => page.next_before ?? undefined,
  });
}
