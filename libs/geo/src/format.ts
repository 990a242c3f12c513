/**
 * A number with at most `decimals` fraction digits, trailing zeros trimmed and never in exponent
 * form (`1e-7` is not a valid xsd:decimal, and is a surprise in a CSV).
 */
export function fixed(value: number, decimals: number): string {
  const s = value.toFixed(decimals);
  if (s.indexOf('.') < 0) return s === '-0' ? '0' : s;
  const trimmed = s.replace(/0+$/, '').replace(/\.$/, '');
  return trimmed === '-0' ? '0' : trimmed;
}
