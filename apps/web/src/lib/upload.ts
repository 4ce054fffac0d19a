import { ApiError, csrfHeaders, networkError, refreshSession, toApiError } from './api-client.ts';

/**
 * POSTs a multipart form with upload progress (fetch cannot report it, so XMLHttpRequest),
 * refreshing the session once on 401, and returns the JSON body of a 2xx answer; anything
 * else rejects with the ApiError the server's error body describes.
 */
export async function postFormWithProgress(
  path: string,
  buildForm: () => FormData,
  options: { onProgress: (fraction: number) => void; signal?: AbortSignal | undefined },
): Promise<unknown> {
  let result = await send(path, buildForm(), options);
  if (result.status === 401 && (await refreshSession())) {
    options.onProgress(0);
    result = await send(path, buildForm(), options);
  }
  if (result.status >= 200 && result.status < 300) {
    try {
      return JSON.parse(result.body);
    } catch {
      throw new ApiError(result.status, 'bad_response', 'Unexpected upload response.');
    }
  }
  const response = new Response(result.body || null, {
    status: result.status,
    headers: result.retryAfter ? { 'retry-after': result.retryAfter } : {},
  });
  throw await toApiError(response);
}

function send(
  path: string,
  form: FormData,
  options: { onProgress: (fraction: number) => void; signal?: AbortSignal | undefined },
): Promise<{ status: number; body: string; retryAfter: string | null }> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', path);
    request.withCredentials = true;
    request.setRequestHeader('Accept', 'application/json');
    for (const [name, value] of Object.entries(csrfHeaders('POST'))) request.setRequestHeader(name, value);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) options.onProgress(event.loaded / event.total);
    };
    request.onload = () =>
      resolve({
        status: request.status,
        body: request.responseText,
        retryAfter: request.getResponseHeader('retry-after'),
      });
    request.onerror = () => reject(networkError());
    request.onabort = () => reject(new DOMException('Upload cancelled', 'AbortError'));
    options.signal?.addEventListener('abort', () => request.abort());
    request.send(form);
  });
}
