import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The placeholder secret development runs with; production refuses it. */
export const DEV_JWT_SECRET = 'dev-only-jwt-secret-change-me-before-deploying-0123456789';
export const MIN_SECRET_LENGTH = 32;

/** A secret that must never guard production: short, our development default, or a placeholder. */
export function isWeakSecret(value: string | undefined): boolean {
  if (!value || value.length < MIN_SECRET_LENGTH) return true;
  const lower = value.toLowerCase();
  return value === DEV_JWT_SECRET || /change-?me|replace-?me|placeholder|^(.)\1+$/.test(lower);
}

/** Variables every server process reads. Apps extend it with their own. */
export const baseEnvSchema = z.object({
  APP_ENV: z.enum(['development', 'test', 'staging', 'production']).default('development'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://postgres@127.0.0.1:5432/fleet'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  /** Prefix of every Redis key, to share one Redis between environments (or test suites). */
  REDIS_KEY_PREFIX: z
    .string()
    .max(64)
    .regex(/^[A-Za-z0-9:_.-]*$/, 'letters, digits and : _ . - only')
    .optional(),
  LOG_FORMAT: z.enum(['json', 'plain']).optional(),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(25_000),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
});
export type BaseEnv = z.infer<typeof baseEnvSchema>;

/** Parses the environment once; every bad variable is named in one error. Empty strings count as unset. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`),
  );
}
