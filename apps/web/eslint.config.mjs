import jsxA11y from 'eslint-plugin-jsx-a11y';
import reactHooks from 'eslint-plugin-react-hooks';
import baseConfig, { apiThroughClientOnly } from '../../eslint.config.mjs';

export default [
  ...baseConfig,
  // Operators use this all day, some with a keyboard or a screen reader: accessibility is linted.
  jsxA11y.flatConfigs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
  // Run from this folder (the Nx lint target), paths are relative to it.
  apiThroughClientOnly('src'),
];
