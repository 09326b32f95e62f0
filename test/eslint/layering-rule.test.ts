import path from 'node:path'
import { Linter } from 'eslint'
import tseslint from 'typescript-eslint'
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain ES module without types, loaded by eslint.config.js
import { layeringRule } from '../../eslint/layering-rule.js'

const linter = new Linter({ cwd: process.cwd() })
// The TypeScript parser, as in eslint.config.js: `import type` and `typeof import()` are TypeScript syntax.
const config = [
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { imgpipe: { rules: { layering: layeringRule } } },
    rules: { 'imgpipe/layering': 'error' },
  },
]

/** The layering messages of `code` in the file at `file` (relative to the repository). */
function problemsOf(file: string, code: string): string[] {
  return linter.verify(code, config as Linter.Config[], { filename: path.join(process.cwd(), file) }).map((message) => message.message)
}

/** The layering messages for `source` imported from the file at `file`. */
function problems(file: string, source: string): string[] {
  return problemsOf(file, `import { x } from '${source}'\nexport const y = x\n`)
}

describe('the layering rule', () => {
  it('lets each layer import itself and the layers beneath it', () => {
    expect(problems('src/core/ports/bus.ts', '../errors.js')).toEqual([])
    expect(problems('src/analysis/analyze-pair.ts', '../core/errors.js')).toEqual([])
    expect(problems('src/stages/alert/alert-stage.ts', '../../analysis/decode-image.js')).toEqual([])
    expect(problems('src/adapters/kafka/kafka-bus.ts', './kafka-errors.js')).toEqual([])
    expect(problems('src/adapters/postgres/postgres-catalog.ts', '../sql/sql-catalog.js')).toEqual([])
    expect(problems('src/adapters/sql/migrations/0001-initial.ts', '../catalog-schema.js')).toEqual([])
    expect(problems('src/cli/program.ts', '../adapters/open-backends.js')).toEqual([])
    expect(problems('src/adapters/open-backends.ts', './kafka/kafka-bus.js')).toEqual([])
    expect(problems('src/core/logger.ts', 'pino')).toEqual([])
  })

  it('fails an import that reaches up or across', () => {
    expect(problems('src/core/errors.ts', '../config.js')).toEqual([
      'src/core must not import src/config (../config.js): core may import only src/core',
    ])
    expect(problems('src/analysis/decode-image.ts', '../stages/stage-context.js')).toHaveLength(1)
    expect(problems('src/stages/run-pipeline.ts', '../adapters/open-backends.js')).toEqual([
      'src/stages must not import src/adapters/open-backends.ts (the composition root) (../adapters/open-backends.js): ' +
        'stages may import only src/core, src/analysis, src/alerts, src/stages',
    ])
    expect(problems('src/adapters/fs/fs-object-store.ts', '../s3/s3-object-store.js')).toHaveLength(1)
    expect(problems('src/adapters/kafka/kafka-bus.ts', '../sql/sql-catalog.js')).toHaveLength(1)
    expect(problems('src/adapters/s3/s3-object-store.ts', '../../web/html.js')).toHaveLength(1)
  })

  it('fails a type-only import the same, in every form', () => {
    const rule = 'root may import only src/core, src/adapters/*.ts, src/adapters/*'
    expect(problemsOf('src/adapters/open-channels.ts', "import type { DeliveryConfig } from '../config.js'\n")).toEqual([
      `src/adapters/open-channels.ts (the composition root) must not import src/config (../config.js): ${rule}`,
    ])
    expect(problemsOf('src/adapters/open-channels.ts', "import { type Config } from '../config/load-config.js'\n")).toHaveLength(1)
    expect(problemsOf('src/adapters/kafka/kafka-options.ts', "export type { Config } from '../../config/load-config.js'\n")).toHaveLength(1)
    expect(problemsOf('src/core/types.ts', "export type Settings = typeof import('../config/settings.js')\n")).toHaveLength(1)
  })

  it('gives the files at the adapters root (the composition root) a rule of their own', () => {
    expect(problems('src/adapters/open-backends.ts', './sqlite/sqlite-catalog.js')).toEqual([])
    expect(problems('src/adapters/open-channels.ts', './backend-options.js')).toEqual([])
    expect(problems('src/adapters/open-backends.ts', '../config/settings.js')).toHaveLength(1)
    expect(problems('src/adapters/open-backends.ts', '../stages/stage-context.js')).toHaveLength(1)
    expect(problems('src/adapters/open-backends.ts', '../cli/cli-context.js')).toHaveLength(1)
  })

  it('lets the configuration import the root and adapters options files, no other adapter module', () => {
    expect(problems('src/config/settings.ts', '../adapters/backend-options.js')).toEqual([])
    expect(problems('src/config/settings.ts', '../adapters/kafka/kafka-options.js')).toEqual([])
    expect(problems('src/config/settings.ts', '../core/delivery-options.js')).toEqual([])
    expect(problems('src/config/settings.ts', '../adapters/kafka/kafka-bus.js')).toEqual([
      'src/config must not import src/adapters/kafka (../adapters/kafka/kafka-bus.js): ' +
        'config may import only src/core, src/config, src/adapters/*.ts, src/adapters/*/*-options.ts',
    ])
    expect(problems('src/config/load-config.ts', '../stages/alert/delivery-worker.js')).toHaveLength(1)
    expect(problems('src/config/load-config.ts', '../cli/cli-context.js')).toHaveLength(1)
  })

  it('keeps the web off the configuration, the adapters and the stages, and everything off the CLI', () => {
    expect(problems('src/web/web-app.ts', '../core/ports/catalog.js')).toEqual([])
    expect(problems('src/web/web-app.ts', '../config/web-settings.js')).toHaveLength(1)
    expect(problems('src/web/web-app.ts', '../adapters/open-backends.js')).toHaveLength(1)
    expect(problems('src/web/web-app.ts', '../stages/stage-context.js')).toHaveLength(1)
    expect(problems('src/cli/program.ts', '../config/load-config.js')).toEqual([])
    expect(problems('src/cli/program.ts', '../web/web-app.js')).toEqual([])
    expect(problems('src/stages/run-pipeline.ts', '../cli/cli-context.js')).toHaveLength(1)
    expect(problems('src/config/settings.ts', '../cli/setting-options.js')).toHaveLength(1)
  })

  it('refuses every import of a file in a folder no rule names', () => {
    expect(problems('src/plugins/thing.ts', '../core/errors.js')).toEqual([
      'src/plugins must not import src/core (../core/errors.js): plugins is no layer of STANDARDS.md (give it a rule in eslint/layering-rule.js)',
    ])
  })
})
