import nx from '@nx/eslint-plugin';
import reactHooks from 'eslint-plugin-react-hooks';
import baseConfig, { apiThroughClientOnly } from '../../eslint.config.mjs';

export default [
  ...nx.configs['flat/react'],
  ...baseConfig,
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.jsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'warn',
      // expo-status-bar's `style` is 'light' | 'dark' | 'auto', not a style object.
      'react/style-prop-object': ['warn', { allow: ['StatusBar'] }],
    },
  },
  // Run from this folder (the Nx lint target), paths are relative to it.
  apiThroughClientOnly('src'),
  {
    ignores: ['.expo', 'web-build', 'cache', 'dist', 'android', 'ios'],
  },
];
