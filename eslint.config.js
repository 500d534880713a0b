// Type-aware lint for the whole repository. Generated code in gen/ is checked by tsc, not here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['gen/**', 'node_modules/**', '.dev/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
    },
  },
  {
    // Domain code is pure: no transport, no storage.
    files: ['services/*/src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['@grpc/*', 'knex', 'pg', 'ioredis', '**/store/*', '**/handlers/*'] },
      ],
    },
  },
  {
    // Handlers translate proto <-> domain; SQL belongs in store/.
    files: ['services/*/src/handlers/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['knex', 'pg'] }] },
  },
  {
    files: ['test/**/*.ts', 'services/*/test/**/*.ts', '**/*.spec.ts'],
    rules: {
      // chai's expect(x).to.be.true is an expression statement by design.
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
  {
    // Command-line programs talk to a terminal.
    files: [
      'scripts/**/*.ts',
      'services/supervisor/**/*.ts',
      'clients/cli/**/*.ts',
      'bench/**/*.ts',
    ],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
