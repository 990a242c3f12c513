import { isIngestionPath } from './input-guard';

describe('which paths the input guard leaves to the ingestion protocols', () => {
  it.each([
    '/positions',
    '/Positions/',
    '/owntracks',
    '/overland',
    '/vehicles/abc/import',
    '/osmand',
    '/osmand/any/path',
  ])('leaves %s to its protocol', (path) => expect(isIngestionPath(path)).toBe(true));

  it.each([
    '/positions/latest',
    '/positions/nearest',
    '/vehicles',
    '/vehicles/abc',
    '/vehicles/abc/history',
    '/osmandx',
  ])('guards %s', (path) => expect(isIngestionPath(path)).toBe(false));
});
