import {
  departmentListSchema,
  documentListSchema,
  jobSchema,
  regionListSchema,
  uploadAcceptedSchema,
} from '@nexus/contracts';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import {
  ApiError,
  apiJson,
  apiSend,
  csrfHeaders,
  networkError,
  refreshSession,
  toApiError,
} from '../../lib/api-client.ts';

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

function sendUpload(
  input: UploadInput,
): Promise<{ status: number; body: string; retryAfter: string | null }> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    // Fields first: the server reads the parts in order.
    if (input.departments.length) form.append('departments', input.departments.join(','));
    if (input.regions.length) form.append('regions', input.regions.join(','));
    form.append('file', input.file, input.file.name);
    const request = new XMLHttpRequest();
    request.open('POST', '/api/v1/documents');
    request.withCredentials = true;
    request.setRequestHeader('Accept', 'application/json');
    for (const [name, value] of Object.entries(csrfHeaders('POST'))) request.setRequestHeader(name, value);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) input.onProgress(event.loaded / event.total);
    };
    request.onload = () =>
      resolve({
        status: request.status,
        body: request.responseText,
        retryAfter: request.getResponseHeader('retry-after'),
      });
    request.onerror = () => reject(networkError());
    request.onabort = () => reject(new DOMException('Upload cancelled', 'AbortError'));
    input.signal?.addEventListener('abort', () => request.abort());
    request.send(form);
  });
}

/** Uploads with progress (fetch cannot report upload progress, so XMLHttpRequest). */
export async function uploadDocument(input: UploadInput): Promise<UploadAccepted> {
  let result = await sendUpload(input);
  if (result.status === 401 && (await refreshSession())) {
    input.onProgress(0);
    result = await sendUpload(input);
  }
  if (result.status >= 200 && result.status < 300) {
    const parsed = uploadAcceptedSchema.safeParse(JSON.parse(result.body));
    if (!parsed.success) throw new ApiError(result.status, 'bad_response', 'Unexpected upload response.');
    return parsed.data;
  }
  const response = new Response(result.body || null, {
    status: result.status,
    headers: result.retryAfter ? { 'retry-after': result.retryAfter } : {},
  });
  throw await toApiError(response);
}
