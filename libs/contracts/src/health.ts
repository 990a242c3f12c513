import { z } from 'zod';

export const HealthResponse = z.object({
  status: z.literal('ok'),
  service: z.string(),
  version: z.string(),
  uptimeSeconds: z.number(),
});
export type HealthResponse = z.infer<typeof HealthResponse>;

export const DependencyStatus = z.object({
  ok: z.boolean(),
  latencyMs: z.number().optional(),
  error: z.string().optional(),
});

export const ReadyResponse = z.object({
  status: z.enum(['ready', 'not_ready', 'draining']),
  checks: z.record(z.string(), DependencyStatus),
});
export type ReadyResponse = z.infer<typeof ReadyResponse>;
