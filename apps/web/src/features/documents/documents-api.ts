import {
  departmentListSchema,
  documentListSchema,
  jobSchema,
  regionListSchema,
  uploadAcceptedSchema,
} from '@nexus/contracts';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import { ApiError, apiJson, apiSend } from '../../lib/api-client.ts';
import { postFormWithProgress } from '../../lib/upload.ts';

export type DocumentStatusFilter = 'all' | 'pending' | 'processing' | 'ready' | 'failed';

export function useDocuments(input: {
  search: string;
  status: DocumentStatusFilter;
  offset: number;
  limit: number;
}) {
  return useQuery({
    queryKey: ['documents', input],
    queryFn: ({ signal }) =>
      apiJson('/api/v1/documents', documentListSchema, {
        query: {
          search: input.search || undefined,
          status: input.status === 'all' ? undefined : input.status,
          limit: input.limit,
          offset: input.offset,
        },
        signal,
      }),
    placeholderData: keepPreviousData,
    // Keep statuses fresh while anything is still being ingested.
    refetchInterval: (query) =>
      query.state.data?.documents.some(
        (document) => document.status === 'pending' || document.status === 'processing',
      )
        ? 2_000
        : false,
  });
}

export function useDeleteDocument() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => apiSend(`/api/v1/documents/${id}`, { method: 'DELETE' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['documents'] }),
  });
}

export function useRegions() {
  return useQuery({
    queryKey: ['regions'],
    queryFn: () => apiJson('/api/v1/admin/regions', regionListSchema),
    staleTime: 60_000,
  });
}

export function useDepartments() {
  return useQuery({
    queryKey: ['departments'],
    queryFn: () => apiJson('/api/v1/admin/departments', departmentListSchema),
    staleTime: 60_000,
  });
}

export function useJob(jobId: string | undefined) {
  return useQuery({
    queryKey: ['job', jobId],
    queryFn: () => apiJson(`/api/v1/jobs/${jobId}`, jobSchema),
    enabled: Boolean(jobId),
    refetchInterval: (query) => {
      const status = query.state.data?.status;
      return status === 'succeeded' || status === 'failed' ? false : 1_000;
    },
  });
}

export type UploadAccepted = z.infer<typeof uploadAcceptedSchema>;

export interface UploadInput {
  file: File;
  departments: string[];
  regions: string[];
  onProgress: (fraction: number) => void;
  signal?: AbortSignal;
}

/** Uploads with progress; fields go first, as the server reads the parts in order. */
export async function uploadDocument(input: UploadInput): Promise<UploadAccepted> {
  const body = await postFormWithProgress(
    '/api/v1/documents',
    () => {
      const form = new FormData();
      if (input.departments.length) form.append('departments', input.departments.join(','));
      if (input.regions.length) form.append('regions', input.regions.join(','));
      form.append('file', input.file, input.file.name);
      return form;
    },
    { onProgress: input.onProgress, signal: input.signal },
  );
  const parsed = uploadAcceptedSchema.safeParse(body);
  if (!parsed.success) throw new ApiError(202, 'bad_response', 'Unexpected upload response.');
  return parsed.data;
}
