import type { ErrorDetail } from '@fleet/contracts';
import type { DeviceAuth } from '../device-auth';
import type { FieldDrops } from '../field-drops';
import { num } from '../fix';
import type { IngestItem, IngestPipeline } from '../pipeline';
import { storableFix, type FieldNames, type FieldProblem } from '../storable-fix';

/**
 * What every HTTP protocol module shares (protocols/osmand.ts, traccar-json.ts, owntracks.ts,
 * overland.ts, gpx.ts, fleet-json.ts): the context its handler runs in, the refusals it throws, the
 * helpers its decoder uses, and step (0), making every fix storable under the protocol's field policy.
 */

/** What a protocol handler needs: the pipeline it stages into, device authentication, dropped-field counts. */
export interface HttpIngest {
  pipeline: IngestPipeline;
  auth: DeviceAuth;
  /** Counts fields dropped at the edge (positions_fields_dropped_total). */
  fieldDrops: FieldDrops;
}

export type RefusalKind =
  'bad_request' | 'invalid' | 'unauthorized' | 'forbidden' | 'not_found' | 'method_not_allowed' | 'payload_too_large';

/**
 * A request a protocol refuses, in the protocol's terms; the API answers each kind with its own error
 * (apps/api/src/routes/ingest.ts, `apiError`): `invalid` 400 validation_failed, `bad_request` 400,
 * `unauthorized` 401 with `challenge` as WWW-Authenticate, `forbidden` 403, `not_found` 404
 * ("<subject> not found"), `method_not_allowed` 405, `payload_too_large` 413.
 */
export class Refusal extends Error {
  constructor(
    readonly kind: RefusalKind,
    message: string,
    readonly extra: { details?: ErrorDetail[]; challenge?: string; subject?: string } = {},
  ) {
    super(message);
    this.name = 'Refusal';
  }
}

export const refuse = {
  badRequest: (message: string, details?: ErrorDetail[]) => new Refusal('bad_request', message, { details }),
  invalid: (message: string, details?: ErrorDetail[]) => new Refusal('invalid', message, { details }),
  unauthorized: (message: string, challenge?: string) => new Refusal('unauthorized', message, { challenge }),
  forbidden: (message: string, details?: ErrorDetail[]) => new Refusal('forbidden', message, { details }),
  notFound: (subject: string) => new Refusal('not_found', `${subject} not found`, { subject }),
  methodNotAllowed: (message: string) => new Refusal('method_not_allowed', message),
  payloadTooLarge: (message: string) => new Refusal('payload_too_large', message),
};

// ---- Decoding

type Params = Record<string, unknown>;

/** At most this many attributes from a protocol's unknown keys (OsmAnd parameters, OwnTracks fields). */
export const MAX_ATTRIBUTES = 50;

export const isObject = (v: unknown): v is Params => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Battery levels sent as a 0–1 fraction (Traccar Client JSON, Overland) as a percentage. */
export const percentFromFraction = (level: number | undefined) =>
  level !== undefined && level >= 0 && level <= 1 ? Math.round(level * 1000) / 10 : undefined;

/** Query-string and form values: the first of repeated keys, as a string. */
export function flattenParams(...sources: unknown[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const source of sources) {
    if (!isObject(source)) continue;
    // Object.keys, not entries: no pair array per parameter (every OsmAnd request comes through here).
    for (const key of Object.keys(source)) {
      const value = source[key];
      const first = Array.isArray(value) ? value[0] : value;
      if (typeof first === 'string' || typeof first === 'number' || typeof first === 'boolean')
        out[key] = String(first);
    }
  }
  return out;
}

/** An unknown text parameter kept as an attribute, typed the way Traccar would (number, boolean, text). */
export function textAttribute(value: string): unknown {
  if (value === 'true' || value === 'false') return value === 'true';
  const n = num(value);
  return n !== undefined && !/^0\d/.test(value) ? n : value.slice(0, 256);
}

// ---- Step (0) and the answers' bookkeeping

/** `path.field`, or `field` at the top of the request. */
export const join = (path: string, field: string) => (path ? `${path}.${field}` : field);

/**
 * What each protocol does with a field storage cannot hold (docs/ingestion.md, "Validation"):
 * `reject` refuses the request with 400 naming each field (our own JSON API: the sender can fix it);
 * `drop` leaves the field out, stores the rest of the fix and counts the field (phone and batch
 * protocols, whose apps would otherwise resend the same point forever).
 */
export type FieldPolicy = 'reject' | 'drop';

/**
 * Step (0): every item made storable (storableFix) or the request refused, before the pipeline sees it.
 * With `drop`, each dropped field is counted and returned for the answer (GPX reports them).
 */
export function storableItems(
  ctx: Pick<HttpIngest, 'pipeline' | 'fieldDrops'>,
  protocol: string,
  items: IngestItem[],
  policy: FieldPolicy,
  names?: FieldNames,
): { items: IngestItem[]; dropped: FieldProblem[] } {
  const dropped: FieldProblem[] = [];
  const out = items.map((item) => {
    const checked = storableFix(item.fix, { path: item.path, names });
    if (!checked.problems.length) return item;
    dropped.push(...checked.problems);
    return { ...item, fix: checked.fix };
  });
  if (dropped.length && policy === 'reject') {
    ctx.pipeline.reject(protocol, 'invalid', items.length);
    throw refuse.invalid(
      'some values cannot be stored; nothing was stored',
      dropped.slice(0, 50).map(({ path, message }) => ({ path, message })),
    );
  }
  ctx.fieldDrops.record(protocol, dropped);
  return { items: out, dropped };
}

/** A 400 naming an identifier that cannot be looked up or stored, before any database query. */
export function refuseIdentifiers(
  ctx: Pick<HttpIngest, 'pipeline'>,
  protocol: string,
  problems: Array<ErrorDetail | undefined>,
  count = 1,
): void {
  const found = problems.filter((p): p is ErrorDetail => p !== undefined);
  if (!found.length) return;
  ctx.pipeline.reject(protocol, 'invalid', count);
  throw refuse.invalid('an identifier cannot be stored', found.slice(0, 10));
}

/** Fixes of one vehicle sharing a timestamp with an earlier one in `seen` (which is updated). */
export function duplicateTimestamps(items: IngestItem[], seen: Set<number>): number {
  let duplicates = 0;
  for (const { fix } of items) {
    const ts = fix.ts?.getTime();
    if (ts === undefined) continue;
    if (seen.has(ts)) duplicates += 1;
    else seen.add(ts);
  }
  return duplicates;
}
