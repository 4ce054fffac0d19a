import { z } from 'zod';

/** Every error response: `{"error":{"code","message","details?"}}`. */
export const errorResponseSchema = z
  .object({
    error: z.object({
      code: z.string().describe('Machine-readable `<type>:<subject>`, e.g. `not_found:conversation`'),
      message: z.string().describe('What went wrong, for a person'),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'ErrorResponse' });
export type ErrorResponse = z.infer<typeof errorResponseSchema>;
