jest.mock('expo/src/winter/ImportMetaRegistry', () => ({
  ImportMetaRegistry: {
    get url() {
      return null;
    },
  },
}));

// Expo SDK 55+ installs lazy winter-runtime globals (fetch, URL, etc.) that
// require files Jest treats as "outside of the scope of the test code" in a
// monorepo. Replace them with the runtime's own globals so the lazy getters
// never fire during tests.
const defineGlobal = (name: string, value: unknown) => {
  try {
    Object.defineProperty(global, name, {
      value,
      configurable: true,
      writable: true,
    });
  } catch {
    // Ignore environments that don't allow redefining these globals.
  }
};
defineGlobal('fetch', globalThis.fetch);
defineGlobal('Headers', globalThis.Headers);
defineGlobal('Request', globalThis.Request);
defineGlobal('Response', globalThis.Response);
defineGlobal('FormData', globalThis.FormData);
defineGlobal('URL', globalThis.URL);
defineGlobal('URLSearchParams', globalThis.URLSearchParams);

if (typeof global.structuredClone === 'undefined') {
  global.structuredClone = <T>(object: T): T => JSON.parse(JSON.stringify(object));
}

// Rendering the whole app under jest-expo takes seconds on a loaded 2-core CI machine (the first test of
// a file pays for loading React Native): the default 5 s timed out there while every assertion held.
// Set here, not in jest.config.cts: in the root multi-project run a project's testTimeout is ignored.
jest.setTimeout(30_000);

// MapLibre draws with native views that do not exist under Jest: a stand-in renders host elements with
// the props the app gives (style, sources' GeoJSON, layers' paint), for the tests to read.
jest.mock('@maplibre/maplibre-react-native', () => require('./map/testing/maplibre'));
