// ESLint for draftgate. It lives in its own package because typescript-eslint needs the
// JavaScript API of TypeScript <6.1, and the root builds with TypeScript 7, which has none:
// Node resolves `typescript` from tools/lint/node_modules (6.0.x) for the parser.
// Run from the repository root: `npm ci --prefix tools/lint && npm run lint`.
//
// Only the non-type-checked rule sets: type-aware rules would type-check the project with
// TypeScript 6, which is not the compiler the project builds with (tsc 7 does that job).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layer direction of ../shared/STYLE.md, on import specifiers. Every layer folder is flat
 * or imports siblings with `./`, so a relative path that climbs out of it names another layer.
 */
const LAYERS = [
  {
    files: ['src/domain/**/*.ts'],
    patterns: [
      {
        regex: '^\\.\\./',
        message: 'src/domain is pure: it imports nothing of ours outside src/domain (STYLE.md layers).',
      },
    ],
  },
  {
    files: ['src/services/**/*.ts'],
    patterns: [
      {
        regex: '^(\\.\\./)+(adapters|db)(/|$)',
        message: 'Services depend on the interfaces in src/services/ports.ts, never on adapters or db (STYLE.md layers).',
      },
    ],
  },
];

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', 'dist/**', 'coverage/**', 'data/**', 'logs/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
  },
  {
    rules: {
      // The codebase marks deliberately unused parameters and bindings with a leading underscore.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // `let x; ...closure reads x...; x = build()` is how app.ts breaks construction cycles.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // A class of "VS16 or a skin tone" after an emoji is what STRAY_ZWJ means, not a mistake.
    files: ['src/domain/sanitise.ts'],
    rules: { 'no-misleading-character-class': 'off' },
  },
  {
    // Tests read untyped JSON bodies off the fakes' wire logs.
    files: ['tests/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  ...LAYERS.map(({ files, patterns }) => ({
    files,
    rules: { 'no-restricted-imports': ['error', { patterns }] },
  })),
);
