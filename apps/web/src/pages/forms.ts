import {
  GeofenceName,
  InvitationRequest,
  LoginRequest,
  MAX_RANGE_DAYS,
  VehicleInput,
  WebhookInput,
} from '@fleet/contracts';
import type { z } from 'zod';

/**
 * Field → i18n key of its message. Forms validate before sending with the API's own schemas
 * (`@fleet/contracts`): no limit is restated here, only which message each kind of problem gets.
 */
export type FieldErrors<K extends string> = Partial<Record<K, string>>;

type IssueCode = z.core.$ZodIssue['code'];
/** A field's message key by the code of its first problem, `otherwise` for any other problem. */
type Messages = Partial<Record<IssueCode, string>> & { otherwise: string };

const TEXT: Messages = {
  too_small: 'validation.required',
  too_big: 'validation.tooLong',
  otherwise: 'validation.invalid',
};
const INVALID: Messages = { otherwise: 'validation.invalid' };

/** The first problem of each named top-level field of a failed schema parse, as a message key. */
function fromSchema<K extends string>(
  schema: z.ZodType,
  value: unknown,
  messages: Record<K, Messages>,
): FieldErrors<K> {
  const parsed = schema.safeParse(value);
  const errors: FieldErrors<K> = {};
  if (parsed.success) return errors;
  for (const issue of parsed.error.issues) {
    const field = String(issue.path[0] ?? '') as K;
    const named = Object.hasOwn(messages, field) ? messages[field] : undefined;
    if (named && !errors[field]) errors[field] = named[issue.code] ?? named.otherwise;
  }
  return errors;
}

/** An e-mail address: required, then well-formed as the API checks it. */
function emailError(email: string): string | undefined {
  if (!email.trim()) return 'validation.required';
  return LoginRequest.shape.email.safeParse(email.trim()).success ? undefined : 'validation.email';
}

export function validateLogin(v: { email: string; password: string }): FieldErrors<'email' | 'password'> {
  const errors: FieldErrors<'email' | 'password'> = {};
  const email = emailError(v.email);
  if (email) errors.email = email;
  if (!LoginRequest.shape.password.safeParse(v.password).success) errors.password = 'validation.required';
  return errors;
}

export interface VehicleForm {
  name: string;
  plate: string;
  type: string;
  speedLimitKmh: string;
  deviceIdentifier: string;
  /** Its vehicle group ('' none); absent: not offered (the organization has no groups). */
  groupId?: string;
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
    ...(v.groupId !== undefined && { groupId: v.groupId || null }),
  };
}

export function validateVehicle(v: VehicleForm): FieldErrors<VehicleField> {
  return fromSchema(VehicleInput, vehicleInput(v), {
    name: TEXT,
    plate: TEXT,
    type: INVALID,
    speedLimitKmh: { otherwise: 'validation.speedLimit' },
    deviceIdentifier: { otherwise: 'validation.identifier' },
  });
}

export function validateWebhook(v: { url: string; eventTypes: string[] }): FieldErrors<'url' | 'eventTypes'> {
  const url = v.url.trim();
  if (!url) return { url: 'validation.required' };
  return fromSchema(
    WebhookInput,
    { url, eventTypes: v.eventTypes },
    // The schema's own refinement (`custom`) refuses credentials in the URL.
    { url: { custom: 'validation.urlCredentials', otherwise: 'validation.url' }, eventTypes: INVALID },
  );
}

export function validateInvitation(v: {
  email: string;
  name: string;
  role: string;
}): FieldErrors<'email' | 'name' | 'role'> {
  const email = emailError(v.email);
  if (email) return { email };
  return fromSchema(
    InvitationRequest,
    { email: v.email.trim(), name: v.name.trim(), role: v.role },
    { email: { otherwise: 'validation.email' }, name: TEXT, role: INVALID },
  );
}

/** A geofence name, checked as the API checks it. */
export function validateName(name: string): string | undefined {
  return fromSchema(GeofenceName, name, { '': TEXT })[''];
}

/** A period from two `datetime-local` values: both set, `from` before `to`, at most `maxDays` long. */
export function validatePeriod(from: string, to: string, maxDays = MAX_RANGE_DAYS): FieldErrors<'from' | 'to'> {
  const f = Date.parse(from);
  const t = Date.parse(to);
  if (!from || Number.isNaN(f)) return { from: 'validation.required' };
  if (!to || Number.isNaN(t)) return { to: 'validation.required' };
  if (t <= f) return { to: 'validation.periodOrder' };
  if (t - f > maxDays * 86_400_000) return { to: 'validation.periodLength' };
  return {};
}
