import path from 'node:path'
import { Linter } from 'eslint'
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain ES module without types, loaded by eslint.config.js
import { layeringRule } from '../../eslint/layering-rule.js'

const linter = new Linter({ cwd: process.cwd() })
const config = [{ files: ['**/*.ts'], plugins: { imgpipe: { rules: { layering: layeringRule } } }, rules: { 'imgpipe/layering': 'error' } }]

/** The layering messages for `source` imported from the file at `file` (relative to the repository). */
function problems(file: string, source: string): string[] {
  const code = `import { x } from '${source}'\nexport const y = x\n`
  return linter.verify(code, config as Linter.Config[], { filename: path.join(process.cwd(), file) }).map((message) => message.message)
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
        'stages may import only src/core, src/analysis, src/stages',
    ])
    expect(problems('src/adapters/fs/fs-object-store.ts', '../s3/s3-object-store.js')).toHaveLength(1)
    expect(problems('src/adapters/kafka/kafka-bus.ts', '../sql/sql-catalog.js')).toHaveLength(1)
    expect(problems('src/adapters/s3/s3-object-store.ts', '../../web/html.js')).toHaveLength(1)
  })
})
