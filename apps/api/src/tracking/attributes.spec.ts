import { cleanText } from '@fleet/contracts';
import fc from 'fast-check';
import { SaxesParser } from 'saxes';
import {
  csvAttributeCell,
  csvAttributeCells,
  csvAttributeHeader,
  FLEET_GPX_NS,
  FLEET_GPX_PREFIX,
  gpxAttributeElements,
} from './attributes';

/** The attributes a GPX document's fleet:attr elements read back to, by the documented rules. */
function readGpxAttributes(elements: string): Record<string, unknown> {
  const parser = new SaxesParser({ xmlns: true });
  const out: Record<string, unknown> = {};
  let current: { name: string; type?: string } | undefined;
  let text = '';
  parser.on('opentag', (tag) => {
    text = '';
    if (tag.uri === FLEET_GPX_NS && tag.local === 'attr') {
      const a = tag.attributes as Record<string, { value: string }>;
      const raw = a['name']?.value ?? '';
      current = { name: a['name-type']?.value === 'json' ? (JSON.parse(raw) as string) : raw, type: a['type']?.value };
    }
  });
  parser.on('text', (s) => {
    text += s;
  });
  parser.on('closetag', (tag) => {
    if (tag.local !== 'attr' || !current) return;
    const { name, type } = current;
    const value =
      type === 'number'
        ? Number(text)
        : type === 'boolean'
          ? text === 'true'
          : type === 'json'
            ? JSON.parse(text)
            : text;
    // Defined, not assigned: a key such as `__proto__` is an ordinary key here, as in stored JSON.
    Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
    current = undefined;
  });
  parser.write(`<x xmlns:${FLEET_GPX_PREFIX}="${FLEET_GPX_NS}">${elements}</x>`).close();
  return out;
}

/** Text as trackers and hostile clients send it: storable (no NUL, no lone surrogate), anything else allowed. */
const storableText = fc
  .string({
    unit: fc.oneof(
      fc.constantFrom('=', '+', '-', '@', '"', "'", ',', '\n', '\r', '\t', '<', '>', '&', '\u0007', '\u001f', '\uffff'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    ),
  })
  .map(cleanText);
const jsonValue = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const attributesArb = fc.dictionary(storableText, fc.oneof(storableText, jsonValue), { maxKeys: 12 });

describe('attributes in GPX', () => {
  it('reads back identically whatever the keys and values (property)', () => {
    fc.assert(
      fc.property(attributesArb, (attrs) => {
        expect(readGpxAttributes(gpxAttributeElements(attrs))).toEqual(attrs);
      }),
      // A key CI's run found (the test's reader assigned it, changing the prototype).
      { numRuns: 300, examples: [[{ ['__proto__']: '' }]] },
    );
  });

  it('writes typed, escaped elements; keys are attribute values, never element names', () => {
    expect(gpxAttributeElements({ ignition: true, hdop: 0.9, conn: 'w', '<a b="c">&': 'x<y & z', n: null })).toBe(
      '<fleet:attr name="ignition" type="boolean">true</fleet:attr>' +
        '<fleet:attr name="hdop" type="number">0.9</fleet:attr>' +
        '<fleet:attr name="conn">w</fleet:attr>' +
        '<fleet:attr name="&lt;a b=&quot;c&quot;&gt;&amp;">x&lt;y &amp; z</fleet:attr>' +
        '<fleet:attr name="n" type="json">null</fleet:attr>',
    );
    // XML 1.0 cannot carry U+0007 even as a reference: the value goes as JSON.
    expect(gpxAttributeElements({ bell: 'a\u0007' })).toBe(
      '<fleet:attr name="bell" type="json">"a\\u0007"</fleet:attr>',
    );
    expect(gpxAttributeElements({})).toBe('');
  });
});

/** RFC 4180 records: quoted cells may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      rows.push([...row, cell]);
      row = [];
      cell = '';
    } else cell += c;
  }
  rows.push([...row, cell]);
  return rows;
}
const parseCsvLine = (line: string) => parseCsv(line)[0] ?? [];

describe('attributes in CSV', () => {
  it('guards formula-looking text with an apostrophe, writes other values as JSON, quotes what needs it', () => {
    expect(csvAttributeCell('=1+2')).toBe("'=1+2");
    expect(csvAttributeCell('+33 6')).toBe("'+33 6");
    expect(csvAttributeCell('-x')).toBe("'-x");
    expect(csvAttributeCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvAttributeCell('\tcmd')).toBe("'\tcmd");
    expect(csvAttributeCell('=HYPERLINK("a","b")')).toBe(`"'=HYPERLINK(""a"",""b"")"`);
    expect(csvAttributeCell('w')).toBe('w');
    expect(csvAttributeCell('a,b\nc')).toBe('"a,b\nc"');
    expect(csvAttributeCell(-3.5)).toBe('-3.5');
    expect(csvAttributeCell(true)).toBe('true');
    expect(csvAttributeCell(null)).toBe('null');
    expect(csvAttributeCell({ a: [1, 'x'] })).toBe('"{""a"":[1,""x""]}"');
    expect(csvAttributeCell(undefined)).toBe('');
  });

  it('puts each value in its key’s column and reads back (property)', () => {
    fc.assert(
      fc.property(attributesArb, (attrs) => {
        const keys = Object.keys(attrs).sort();
        const columns = { keys, overflow: false };
        const text = `x${csvAttributeHeader(columns)}\nx${csvAttributeCells(columns, new Map(keys.map((k, i) => [k, i])), attrs)}`;
        const [header, line, ...more] = parseCsv(text);
        expect(more).toEqual([]);
        expect(header).toEqual(['x', ...keys.map((k) => `attributes.${k}`)]);
        const values = (line ?? []).slice(1);
        expect(values).toHaveLength(keys.length);
        values.forEach((cell, i) => {
          const v = attrs[keys[i] as string];
          if (typeof v === 'string') expect(cell).toBe(/^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
          else expect(JSON.parse(cell)).toEqual(v);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('beyond the column limit, the other keys of a line go into one `attributes` JSON column', () => {
    const columns = { keys: ['a', 'b'], overflow: true };
    const index = new Map([
      ['a', 0],
      ['b', 1],
    ]);
    expect(csvAttributeHeader(columns)).toBe(',attributes.a,attributes.b,attributes');
    expect(parseCsvLine(csvAttributeCells(columns, index, { b: 2, c: 'x', d: '=1' }).slice(1))).toEqual([
      '',
      '2',
      '{"c":"x","d":"=1"}',
    ]);
    expect(csvAttributeCells(columns, index, { a: 1 })).toBe(',1,,');
    expect(csvAttributeCells({ keys: [], overflow: false }, new Map(), { a: 1 })).toBe('');
  });
});
