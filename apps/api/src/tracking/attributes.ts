import type { FixAttributes } from '@fleet/contracts';
import type { PoolClient } from 'pg';
import type { Period } from '@fleet/reports';

/**
 * Stored attributes of fixes (`positions.attributes`, `vehicle_state.attributes`) as the queries
 * answer them: read for the fixes that are answered, and written safely in CSV and GPX.
 */

/**
 * Most attribute columns a CSV export has (as many keys as one fix may store). Past it, the keys
 * after the first MAX_CSV_ATTRIBUTE_COLUMNS (in order) go into one last column, `attributes`, as a
 * JSON object per line: a device inventing a key per fix cannot make the header unbounded.
 */
export const MAX_CSV_ATTRIBUTE_COLUMNS = 200;

// Every distinct key of the period, in code-point order (collation "C": the same order on every server).
const KEYS_SQL = `
SELECT DISTINCT k COLLATE "C" AS k
  FROM positions, jsonb_object_keys(CASE WHEN jsonb_typeof(attributes) = 'object' THEN attributes END) AS k
 WHERE vehicle_id = $1 AND ts >= $2 AND ts < $3
 ORDER BY 1
 LIMIT $4`;

export interface CsvAttributeColumns {
  keys: string[];
  /** More keys than columns: the rest go into a last `attributes` JSON column. */
  overflow: boolean;
}

/** The attribute columns of a CSV export: the keys of the whole period, ordered, at most MAX_CSV_ATTRIBUTE_COLUMNS. */
export async function csvAttributeColumns(
  client: PoolClient,
  vehicleId: string,
  period: Period,
  max = MAX_CSV_ATTRIBUTE_COLUMNS,
): Promise<CsvAttributeColumns> {
  const { rows } = await client.query<[string]>({
    text: KEYS_SQL,
    values: [vehicleId, period.from, period.to, max + 1],
    rowMode: 'array',
  });
  const keys = rows.map((r) => r[0]);
  return { keys: keys.slice(0, max), overflow: keys.length > max };
}

/** RFC 4180: a field holding a comma, a quote or a line break is quoted, quotes doubled. */
export const csvField = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

/**
 * Text a spreadsheet would run as a formula (starting with = + - @, tab or carriage return) gets a
 * leading apostrophe, as OWASP advises against CSV injection; numbers are never text here.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
export const csvText = (text: string) => csvField(FORMULA_START.test(text) ? `'${text}` : text);

/** An attribute value as a CSV cell: text as is (guarded), any other JSON value as its JSON; absent: empty. */
export function csvAttributeCell(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return csvText(value);
  return csvField(JSON.stringify(value));
}

/** The header cells of the attribute columns. */
export const csvAttributeHeader = (columns: CsvAttributeColumns) =>
  columns.keys.map((k) => `,${csvText(`attributes.${k}`)}`).join('') + (columns.overflow ? ',attributes' : '');

/** The attribute cells of one line, each with its leading comma. */
export function csvAttributeCells(
  columns: CsvAttributeColumns,
  index: Map<string, number>,
  attrs: FixAttributes,
): string {
  const cells = new Array<string>(columns.keys.length).fill('');
  let rest: FixAttributes | undefined;
  for (const [key, value] of Object.entries(attrs)) {
    const at = index.get(key);
    if (at !== undefined) cells[at] = csvAttributeCell(value);
    else if (columns.overflow) (rest ??= {})[key] = value;
  }
  let line = cells.length ? `,${cells.join(',')}` : '';
  if (columns.overflow) line += `,${rest ? csvField(JSON.stringify(rest)) : ''}`;
  return line;
}

// --- GPX -------------------------------------------------------------------------------------------

export { FLEET_GPX_NS } from '@fleet/contracts';
export const FLEET_GPX_PREFIX = 'fleet';

// Characters XML 1.0 does not allow at all, not even as character references.
// eslint-disable-next-line no-control-regex -- these control characters are exactly what is looked for
const XML_FORBIDDEN = /[\u0001-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;
const XML_FORBIDDEN_ALL = new RegExp(XML_FORBIDDEN.source, 'g');
const XML_TEXT: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '\r': '&#13;' };
const XML_ATTR: Record<string, string> = {
  ...XML_TEXT,
  '"': '&quot;',
  '\t': '&#9;',
  '\n': '&#10;',
};
// Line breaks and tabs are references: a parser would otherwise normalise them away.
const xmlText = (s: string) => s.replace(/[<>&\r]/g, (c) => XML_TEXT[c] ?? c);
const xmlAttr = (s: string) => s.replace(/[<>&"\t\n\r]/g, (c) => XML_ATTR[c] ?? c);
/** JSON text that XML can carry: the forbidden characters escaped as JSON \u sequences. */
const xmlSafeJson = (v: unknown) =>
  JSON.stringify(v).replace(XML_FORBIDDEN_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * A fix's attributes as GPX extension elements, one per key:
 * `<fleet:attr name="ignition" type="boolean">true</fleet:attr>`. The key is an XML attribute value,
 * never an element name, so any key is safe. `type` says how to read the text back: absent for text,
 * `number`, `boolean`, or `json` (null, objects, arrays, and text with characters XML cannot hold).
 * A key with such characters is written as JSON with `name-type="json"`.
 */
export function gpxAttributeElements(attrs: FixAttributes): string {
  let out = '';
  for (const [key, value] of Object.entries(attrs)) {
    const name = XML_FORBIDDEN.test(key)
      ? `name="${xmlAttr(xmlSafeJson(key))}" name-type="json"`
      : `name="${xmlAttr(key)}"`;
    let typed: string;
    if (typeof value === 'string' && !XML_FORBIDDEN.test(value)) typed = `>${xmlText(value)}`;
    else if (typeof value === 'number') typed = ` type="number">${JSON.stringify(value)}`;
    else if (typeof value === 'boolean') typed = ` type="boolean">${value}`;
    else typed = ` type="json">${xmlText(xmlSafeJson(value))}`;
    out += `<${FLEET_GPX_PREFIX}:attr ${name}${typed}</${FLEET_GPX_PREFIX}:attr>`;
  }
  return out;
}
