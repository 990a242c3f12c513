import type { ErrorDetail } from './errors';

/**
 * What PostgreSQL refuses to store, checked where a request arrives, so that "2xx" can mean "stored".
 *
 * - `text` and `jsonb` refuse the NUL character (U+0000); `jsonb` also refuses a lone UTF-16 surrogate
 *   (`"\ud800"` is valid JavaScript but not Unicode).
 * - `real` (float4) refuses finite numbers it cannot represent: beyond ±3.4e38, or so small that they
 *   would round to zero (1e-50). Zero and float4's subnormals are fine.
 * - JSON nested thousands of levels deep makes `JSON.stringify` throw a RangeError; attributes also
 *   have bounded size.
 *
 * Pure functions, no I/O: used by the API's input guard, the ingestion edge and tests.
 */

// Without the `u` flag (and without lookbehind, for every JavaScript engine the clients run on).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/;

/** Why PostgreSQL would refuse this text, or undefined when it stores it as is. */
export function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
  if (LONE_SURROGATE.test(text)) return 'contains a lone UTF-16 surrogate (not valid Unicode), which cannot be stored';
  return undefined;
}

/** The text without NUL characters and with lone surrogates replaced by U+FFFD. */
export function cleanText(text: string): string {
  if (textProblem(text) === undefined) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) continue;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += text[i] + text[i + 1];
        i += 1;
      } else out += '\ufffd';
    } else if (c >= 0xdc00 && c <= 0xdfff) out += '\ufffd';
    else out += text[i];
  }
  return out;
}

const FLOAT4_MAX = 3.4028234663852886e38;

/** True when PostgreSQL's `real` stores `value` without an out-of-range error. */
export function storableAsReal(value: number): boolean {
  if (!Number.isFinite(value)) return false;
  if (value === 0) return true;
  const rounded = Math.fround(value);
  return rounded !== 0 && Math.abs(value) <= FLOAT4_MAX && Number.isFinite(rounded);
}

export interface JsonLimits {
  /** Nesting depth of objects and arrays; the value itself is depth 0. */
  maxDepth: number;
  /** Keys of objects and items of arrays, counted over the whole value. */
  maxEntries: number;
  /** Length of any string (key or value), in UTF-16 code units. */
  maxStringLength: number;
}

/** Limits for stored attributes: what a tracker sends fits easily; a hostile request does not. */
export const ATTRIBUTE_LIMITS: JsonLimits = { maxDepth: 8, maxEntries: 200, maxStringLength: 4096 };

/**
 * Walks a JSON value (as `JSON.parse` returns it) and reports what storage would refuse or what
 * exceeds the limits: each problem with its path (`attributes.note`), at most `maxProblems`.
 * The walk is iterative, so a hostile depth cannot overflow the stack.
 */
export function jsonProblems(value: unknown, path: string, limits: JsonLimits, maxProblems = 10): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const join = (base: string, key: string) => (base ? `${base}.${key}` : key);
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path, depth: 0 }];
  let entries = 0;
  while (stack.length && problems.length < maxProblems) {
    const item = stack.pop()!;
    const v = item.value;
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) problems.push({ path: item.path, message: problem });
      else if (v.length > limits.maxStringLength)
        problems.push({ path: item.path, message: `longer than ${limits.maxStringLength} characters` });
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) problems.push({ path: item.path, message: 'must be a finite number' });
    } else if (v !== null && typeof v === 'object') {
      if (item.depth >= limits.maxDepth) {
        problems.push({ path: item.path, message: `nested deeper than ${limits.maxDepth} levels` });
        continue;
      }
      const children: Array<[string, unknown]> = Array.isArray(v)
        ? v.map((child, i) => [String(i), child])
        : Object.entries(v as Record<string, unknown>);
      entries += children.length;
      if (entries > limits.maxEntries) {
        problems.push({ path: item.path, message: `more than ${limits.maxEntries} keys and items in all` });
        break;
      }
      for (const [key, child] of children) {
        const childPath = join(item.path, key);
        if (!Array.isArray(v)) {
          const problem = textProblem(key);
          if (problem) {
            problems.push({ path: join(item.path, JSON.stringify(key).slice(1, -1)), message: `key ${problem}` });
            continue;
          }
          if (key.length > limits.maxStringLength)
            problems.push({ path: item.path, message: `a key is longer than ${limits.maxStringLength} characters` });
        }
        stack.push({ value: child, path: childPath, depth: item.depth + 1 });
      }
    }
  }
  return problems.slice(0, maxProblems);
}
