import nx from '@nx/eslint-plugin';

// Node built-ins and I/O clients that shared code (contracts, geo) must never import: it runs in
// browsers and phones, and stays pure so it can be tested without services.
const IO_MODULES = [
  'pg',
  'ioredis',
  'express',
  'winston',
  'prom-client',
  'drizzle-orm',
  'drizzle-kit',
  'helmet',
  'cors',
  'fs',
  'node:fs',
  'net',
  'node:net',
  'http',
  'node:http',
  'https',
  'node:https',
  'child_process',
  'node:child_process',
  'dgram',
  'node:dgram',
  'tls',
  'node:tls',
  'cluster',
  'node:cluster',
  'worker_threads',
  'node:worker_threads',
];

/**
 * The web and mobile apps speak to the API only through @fleet/api-client (one typed method per
 * declared endpoint): no `fetch` of their own and no API path written by hand. `dir` is relative to
 * the config that applies it (this one, or an app's own eslint.config.mjs); tests and their fixtures
 * may script requests by path.
 */
const THROUGH_THE_CLIENT = 'the apps speak to the API only through @fleet/api-client (api.<operation>(…))';
export const apiThroughClientOnly = (dir) => ({
  files: [`${dir}/**/*.ts`, `${dir}/**/*.tsx`],
  ignores: [`${dir}/**/*.spec.ts`, `${dir}/**/*.spec.tsx`, `${dir}/**/testing/**`],
  rules: {
    'no-restricted-syntax': [
      'error',
      { selector: "CallExpression[callee.name='fetch']", message: THROUGH_THE_CLIENT },
      {
        selector: "CallExpression[callee.object.name=/^(window|globalThis|self)$/][callee.property.name='fetch']",
        message: THROUGH_THE_CLIENT,
      },
      // \x2F is '/': esquery's regular expressions cannot contain a slash.
      { selector: 'Literal[value=/\\x2Fapi\\x2F/]', message: THROUGH_THE_CLIENT },
      { selector: 'TemplateElement[value.raw=/\\x2Fapi\\x2F/]', message: THROUGH_THE_CLIENT },
    ],
  },
});

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  { ignores: ['**/dist', '**/out-tsc', '**/node_modules', 'tmp/**', 'coverage/**', '.nx/**'] },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.jsx', '**/*.cjs', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$'],
          depConstraints: [
            // Apps and tools sit on libs; libs never reach up into an app.
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            // Browser and phone code can never pull in server code.
            { sourceTag: 'scope:server', onlyDependOnLibsWithTags: ['scope:server', 'scope:shared'] },
            { sourceTag: 'scope:client', onlyDependOnLibsWithTags: ['scope:client', 'scope:shared'] },
            {
              sourceTag: 'scope:shared',
              onlyDependOnLibsWithTags: ['scope:shared'],
              bannedExternalImports: IO_MODULES,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/testing/**/*.ts', '**/testing.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  apiThroughClientOnly('apps/web/src'),
  apiThroughClientOnly('apps/mobile/src'),
];
