// The linter's small rule set (docs/HACKING.md): no unused code, imports in one order, lines of
// at most 100 columns. Layout is Prettier's; what the linter adds is what Prettier cannot do.
// A test title may run past 100 columns (it is read as one sentence in the test report), and so
// may a line with a regular expression (an expected message is clearer whole).
import stylistic from '@stylistic/eslint-plugin';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['node_modules/**', 'out/**', 'coverage/**', 'scratch/**', '**/*.d.ts'] },
  {
    files: ['**/*.ts', '**/*.mjs'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2023, sourceType: 'module' },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: {
      '@typescript-eslint': tseslint.plugin,
      '@stylistic': stylistic,
      'simple-import-sort': simpleImportSort,
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          caughtErrors: 'none',
          ignoreRestSiblings: true,
        },
      ],
      'no-unused-private-class-members': 'error',
      'no-unreachable': 'error',
      'simple-import-sort/imports': 'error',
      'simple-import-sort/exports': 'error',
      '@stylistic/max-len': [
        'error',
        {
          code: 100,
          ignoreUrls: true,
          ignoreRegExpLiterals: true,
          ignorePattern: String.raw`^\s*(?:it|test|describe|propTest)(?:\.\w+)*\(\s*['"\x60]`,
        },
      ],
    },
  },
];
