import {
  ATTRIBUTE_LIMITS,
  jsonProblems,
  MAX_ATTRIBUTE_KEY_LENGTH,
  MEASUREMENT_LIMITS,
  storableAsReal,
  textProblem,
  type ErrorDetail,
  type Measurement,
} from '@fleet/contracts';
import type { RawFix } from './fix';

/**
 * Step (0) of ingestion, the same for every protocol: what the worker's writer cannot store is found
 * here, before the API answers. The writer casts speed, heading, altitude, accuracy and battery to
 * `real` and attributes to `jsonb`; one value PostgreSQL refuses fails the whole staged batch. So every
 * measurement must be finite, inside its domain (MEASUREMENT_LIMITS) and representable as `real`, and
 * attributes must hold no NUL or lone surrogate (keys and values) and stay within ATTRIBUTE_LIMITS.
 *
 * Pure: the caller decides per protocol whether a problem refuses the request (400 naming the field)
 * or drops the field (counted by protocol, field and reason) — see docs/ingestion.md.
 */

export type DropReason = 'out_of_range' | 'not_storable' | 'bad_text' | 'too_deep' | 'too_large';
export type CheckedField = Measurement | 'attributes';

export interface FieldProblem extends ErrorDetail {
  /** The stored field (metric label): `speed`, `heading`, `altitude`, `accuracy`, `battery`, `attributes`. */
  field: CheckedField;
  reason: DropReason;
}

/** How the protocol names each measurement, for error paths (`coords.speed`, `properties.altitude`). */
export type FieldNames = Partial<Record<CheckedField, string>>;

const MEASUREMENTS: ReadonlyArray<[Measurement, 'speedKmh' | 'heading' | 'altitude' | 'accuracy' | 'battery']> = [
  ['speed', 'speedKmh'],
  ['heading', 'heading'],
  ['altitude', 'altitude'],
  ['accuracy', 'accuracy'],
  ['battery', 'battery'],
];

const UNITS: Record<Measurement, string> = {
  speed: 'km/h',
  heading: 'degrees',
  altitude: 'm',
  accuracy: 'm',
  battery: '%',
};

const at = (path: string, field: string) => (path ? `${path}.${field}` : field);

/** Why a measurement cannot be stored, or undefined when it can. */
export function measurementProblem(
  name: Measurement,
  value: number,
): { reason: DropReason; message: string } | undefined {
  const { min, max } = MEASUREMENT_LIMITS[name];
  if (!Number.isFinite(value)) return { reason: 'not_storable', message: 'must be a finite number' };
  if (value < min || value > max)
    return { reason: 'out_of_range', message: `must be between ${min} and ${max} ${UNITS[name]}` };
  if (!storableAsReal(value))
    return { reason: 'not_storable', message: 'too close to zero to be stored as a 4-byte real; send 0' };
  return undefined;
}

/** The reason behind one of `jsonProblems`' messages (pinned by storable-fix.spec.ts). */
export function reasonOf(message: string): DropReason {
  if (/NUL|surrogate/.test(message)) return 'bad_text';
  if (/nested deeper/.test(message)) return 'too_deep';
  if (/finite/.test(message)) return 'not_storable';
  return 'too_large';
}

/** Keys and items of a JSON value, counted the way `jsonProblems` counts them; stops past `cap`. */
function entriesOf(value: unknown, cap: number): number {
  let count = 0;
  const stack = [value];
  while (stack.length && count <= cap) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
    count += children.length;
    for (const child of children) stack.push(child);
  }
  return count;
}

/** A key as it can be printed and stored in an error detail (NUL and lone surrogates escaped). */
const printable = (key: string) => (textProblem(key) ? JSON.stringify(key).slice(1, -1) : key);

/**
 * The attributes storage can hold, and a problem for each entry left out. An entry (a top-level key
 * with its value) is kept or left out whole, so a kept value is always what the device sent.
 */
export function storableAttributes(
  attributes: Record<string, unknown>,
  path: string,
): { attributes: Record<string, unknown>; problems: FieldProblem[] } {
  // The common case in one walk: nothing to leave out, the same object back.
  if (
    jsonProblems(attributes, path, ATTRIBUTE_LIMITS, 1).length === 0 &&
    Object.keys(attributes).every((key) => key.length <= MAX_ATTRIBUTE_KEY_LENGTH)
  )
    return { attributes, problems: [] };
  const kept: Array<[string, unknown]> = [];
  const problems: FieldProblem[] = [];
  const problem = (keyPath: string, message: string, reason = reasonOf(message)) =>
    problems.push({ field: 'attributes', path: keyPath, message, reason });
  let entries = 0;
  for (const [key, value] of Object.entries(attributes)) {
    const keyPath = at(path, printable(key));
    const keyText = textProblem(key);
    if (keyText) {
      problem(keyPath, `key ${keyText}`);
      continue;
    }
    if (key.length > MAX_ATTRIBUTE_KEY_LENGTH) {
      problem(keyPath, `key longer than ${MAX_ATTRIBUTE_KEY_LENGTH} characters`, 'too_large');
      continue;
    }
    // Walked inside a one-entry object so that depth and entries count as in the whole attributes.
    const first = jsonProblems({ [key]: value }, path, ATTRIBUTE_LIMITS, 1)[0];
    if (first) {
      problem(first.path, first.message);
      continue;
    }
    const size = 1 + entriesOf(value, ATTRIBUTE_LIMITS.maxEntries);
    if (entries + size > ATTRIBUTE_LIMITS.maxEntries) {
      problem(keyPath, `more than ${ATTRIBUTE_LIMITS.maxEntries} keys and items in all`, 'too_large');
      continue;
    }
    entries += size;
    kept.push([key, value]);
  }
  // fromEntries defines properties, so a key such as `__proto__` stays an ordinary key.
  return { attributes: Object.fromEntries(kept), problems };
}

/**
 * Fixes storableFix returned (cleaned or found clean): the pipeline's re-check (validateFix) skips them
 * instead of walking their attributes a second time. Fixes are not modified after the check.
 */
const checked = new WeakSet<RawFix>();

/** Problems of a fix no route has checked; none for one storableFix returned. */
export function storableProblems(fix: RawFix, path: string): FieldProblem[] {
  return checked.has(fix) ? [] : storableFix(fix, { path }).problems;
}

/**
 * The fix as storage can hold it, and one problem per field it cannot: a measurement left out, or an
 * attribute entry left out. `path` locates the fix in the request (`positions.3`), `names` maps stored
 * fields to the protocol's names (`speed` → `coords.speed`).
 */
export function storableFix(
  fix: RawFix,
  options: { path: string; names?: FieldNames },
): { fix: RawFix; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const name = (field: CheckedField) => at(options.path, options.names?.[field] ?? field);
  // Attributes that are the request's own top-level keys (OsmAnd, OwnTracks) are named by their key alone.
  const attributesPath = options.names?.attributes === '' ? options.path : name('attributes');
  let out = fix;
  for (const [field, key] of MEASUREMENTS) {
    const value = fix[key];
    if (value === undefined) continue;
    const problem = measurementProblem(field, value);
    if (!problem) continue;
    problems.push({ field, path: name(field), ...problem });
    out = { ...out, [key]: undefined };
  }
  if (fix.attributes) {
    const checked = storableAttributes(fix.attributes, attributesPath);
    if (checked.problems.length) {
      problems.push(...checked.problems);
      out = { ...out, attributes: checked.attributes };
    }
  }
  checked.add(out);
  return { fix: out, problems };
}

/** Why an identifier (OsmAnd `id`, Traccar `device_id`…) cannot be looked up or stored, or undefined. */
export function identifierProblem(path: string, value: unknown): ErrorDetail | undefined {
  if (typeof value !== 'string') return undefined;
  const problem = textProblem(value);
  return problem ? { path, message: problem } : undefined;
}
