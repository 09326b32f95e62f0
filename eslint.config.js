// ESLint for src/, test/ and bench/: typescript-eslint with type information, the promise rules as errors,
// and the layering of STANDARDS.md (eslint/layering-rule.js). `npm run lint` runs it with tsc, knip and prettier.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import { layeringRule } from './eslint/layering-rule.js'

/** Node's globals, for the plain .js/.mjs scripts (TypeScript files get them from @types/node). */
const NODE_GLOBALS = Object.fromEntries(
  ['process', 'console', 'URL', 'Buffer', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'fetch'].map(
    (name) => [name, 'readonly'],
  ),
)

/**
 * `file -> layer` imports that break the layering but are being removed; the rule stays on for all else in those
 * files. Empty since issue 7: adapters own their options and the stages take a context, so none imports config.
 */
const KNOWN_LAYERING_VIOLATIONS = []

export default tseslint.config(
  { ignores: ['dist/', '.bench-build/', 'node_modules/', 'data/', '.services/', 'src/web/assets/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { imgpipe: { rules: { layering: layeringRule } } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'imgpipe/layering': ['error', { knownViolations: KNOWN_LAYERING_VIOLATIONS }],
    },
  },
  {
    // Tests build odd values on purpose (fakes, non-null assertions on known rows, stubs of any shape).
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-empty-function': 'off',
      // Terminal tests match ANSI escapes, which start with the ESC control character.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: NODE_GLOBALS },
  },
)
