import {
  authConfigResponseSchema,
  type loginRequestSchema,
  tokenResponseSchema,
  totpEnrollResponseSchema,
  type User,
  userSchema,
} from '@nexus/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import { ApiError, apiJson, apiSend, CSRF_COOKIE, readCookie } from '../../lib/api-client.ts';

export const SESSION_KEY = ['session'] as const;

/** The signed-in user, or null. A 401 (after the one refresh attempt) means signed out. */
export async function fetchSession(): Promise<User | null> {
  // Sign-in sets the readable CSRF cookie beside the session cookies and sign-out clears it:
  // without it there is no session to ask about (and no 401 to log).
  if (!readCookie(CSRF_COOKIE)) return null;
  try {
    return await apiJson('/api/v1/me', userSchema);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export function useSession() {
  return useQuery({ queryKey: SESSION_KEY, queryFn: fetchSession, staleTime: 5 * 60_000, retry: 1 });
}

let lastUser: User | null = null;

/**
 * The signed-in user, for components under RequireAuth. Right after sign-out they may
 * render once more before RequireAuth unmounts them: they get the last user then.
 */
export function useUser(): User {
  const { data } = useSession();
  if (data) lastUser = data;
  if (!lastUser) throw new Error('useUser outside RequireAuth');
  return data ?? lastUser;
}

export function useAuthConfig() {
  return useQuery({
    queryKey: ['auth-config'],
    queryFn: () => apiJson('/api/v1/auth/config', authConfigResponseSchema),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export type LoginInput = z.input<typeof loginRequestSchema>;

export function useLogin() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: LoginInput) =>
      apiJson('/api/v1/auth/login', tokenResponseSchema, { method: 'POST', json: input }),
    onSuccess: (tokens) => {
      queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== SESSION_KEY[0] });
      queryClient.setQueryData(SESSION_KEY, tokens.user);
    },
  });
}

export function useLogout() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => apiSend('/api/v1/auth/logout', { method: 'POST' }),
    onSettled: () => {
      queryClient.setQueryData(SESSION_KEY, null);
      queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== SESSION_KEY[0] });
    },
  });
}

export function useTotpEnrollment() {
  return useMutation({
    mutationFn: () => apiJson('/api/v1/auth/totp/enroll', totpEnrollResponseSchema, { method: 'POST' }),
  });
}

export function useTotpVerification() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (code: string) =>
      apiJson('/api/v1/auth/totp/verify', tokenResponseSchema, { method: 'POST', json: { code } }),
    onSuccess: (tokens) => queryClient.setQueryData(SESSION_KEY, tokens.user),
  });
}

export function hasRole(user: User, role: User['role']): boolean {
  const rank = { user: 1, content_manager: 2, super_admin: 3 } as const;
  return rank[user.role] >= rank[role];
}
