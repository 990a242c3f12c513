import { InvitationRequest, VehicleInput, WebhookInput } from '@fleet/contracts';
import type { z } from 'zod';

/** Field → i18n key of its message. Forms validate before sending, with the same schemas as the API. */
export type FieldErrors<K extends string> = Partial<Record<K, string>>;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The first problem of each top-level field of a failed schema parse, as a generic message key. */
function fromSchema<K extends string>(schema: z.ZodType, value: unknown, keys: readonly K[]): FieldErrors<K> {
  const parsed = schema.safeParse(value);
  const errors: FieldErrors<K> = {};
  if (parsed.success) return errors;
  for (const issue of parsed.error.issues) {
    const field = String(issue.path[0] ?? '') as K;
    if (keys.includes(field) && !errors[field]) errors[field] = 'validation.invalid';
  }
  return errors;
}

export function validateLogin(v: { email: string; password: string }): FieldErrors<'email' | 'password'> {
  const errors: FieldErrors<'email' | 'password'> = {};
  if (!v.email.trim()) errors.email = 'validation.required';
  else if (!EMAIL.test(v.email.trim())) errors.email = 'validation.email';
  if (!v.password) errors.password = 'validation.required';
  return errors;
}

export interface VehicleForm {
  name: string;
  plate: string;
  type: string;
  speedLimitKmh: string;
  deviceIdentifier: string;
}
type VehicleField = keyof VehicleForm;

/** The form's strings as the API's VehicleInput (empty optional fields left out). */
export function vehicleInput(v: VehicleForm) {
  return {
    name: v.name.trim(),
    plate: v.plate.trim() || null,
    type: v.type as VehicleInput['type'],
    speedLimitKmh: v.speedLimitKmh.trim() === '' ? null : Number(v.speedLimitKmh),
    ...(v.deviceIdentifier.trim() && { deviceIdentifier: v.deviceIdentifier.trim() }),
  };
}

export function validateVehicle(v: VehicleForm): FieldErrors<VehicleField> {
  const errors: FieldErrors<VehicleField> = {};
  if (!v.name.trim()) errors.name = 'validation.required';
  else if (v.name.trim().length > 100) errors.name = 'validation.tooLong';
  if (v.plate.trim().length > 20) errors.plate = 'validation.tooLong';
  if (v.speedLimitKmh.trim() !== '') {
    const n = Number(v.speedLimitKmh);
    if (!Number.isFinite(n) || n <= 0 || n > 400) errors.speedLimitKmh = 'validation.speedLimit';
  }
  const id = v.deviceIdentifier.trim();
  if (id && (id.length < 4 || id.length > 128 || !/^[A-Za-z0-9._:-]+$/.test(id)))
    errors.deviceIdentifier = 'validation.identifier';
  if (Object.keys(errors).length) return errors;
  return fromSchema(VehicleInput, vehicleInput(v), ['name', 'plate', 'type', 'speedLimitKmh', 'deviceIdentifier']);
}

export function validateWebhook(v: { url: string; eventTypes: string[] }): FieldErrors<'url' | 'eventTypes'> {
  const url = v.url.trim();
  if (!url) return { url: 'validation.required' };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url: 'validation.url' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { url: 'validation.url' };
  if (parsed.username || parsed.password) return { url: 'validation.urlCredentials' };
  return fromSchema(WebhookInput, { url, eventTypes: v.eventTypes }, ['url', 'eventTypes']);
}

export function validateInvitation(v: {
  email: string;
  name: string;
  role: string;
}): FieldErrors<'email' | 'name' | 'role'> {
  if (!v.email.trim()) return { email: 'validation.required' };
  if (!EMAIL.test(v.email.trim())) return { email: 'validation.email' };
  return fromSchema(InvitationRequest, { email: v.email.trim(), name: v.name.trim(), role: v.role }, [
    'email',
    'name',
    'role',
  ]);
}

export function validateName(name: string): string | undefined {
  if (!name.trim()) return 'validation.required';
  if (name.trim().length > 100) return 'validation.tooLong';
  return undefined;
}

/** A period from two `datetime-local` values: both set, `from` before `to`, at most `maxDays` long. */
export function validatePeriod(from: string, to: string, maxDays = 31): FieldErrors<'from' | 'to'> {
  const f = Date.parse(from);
  const t = Date.parse(to);
  if (!from || Number.isNaN(f)) return { from: 'validation.required' };
  if (!to || Number.isNaN(t)) return { to: 'validation.required' };
  if (t <= f) return { to: 'validation.periodOrder' };
  if (t - f > maxDays * 86_400_000) return { to: 'validation.periodLength' };
  return {};
}
