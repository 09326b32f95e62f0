// The layering of STANDARDS.md as an ESLint rule: every relative import of a file under src/ is resolved and
// checked against what the file's layer may depend on. Packages and node: built-ins are not layers.
import path from 'node:path'

/**
 * The composition root: the files directly in src/adapters (open-backends.ts, backend-options.ts), the one place
 * outside the CLI and the web that turns settings into adapters.
 */
const isCompositionRoot = (parts) => parts.length === 3 && parts[1] === 'adapters'
/** Adapters that share the SQL catalog in adapters/sql. */
const SQL_ADAPTERS = ['sqlite', 'mysql', 'postgres']
/** Delivery channels that share the guarded HTTP client in adapters/http. */
const HTTP_ADAPTERS = ['webhook', 'slack']

/** The layer of a path relative to the repository root (`src/...`), e.g. `core`, `adapters/kafka`, `config`. */
function layerOf(file) {
  const parts = file.split('/')
  if (parts[0] !== 'src') return null
  if (isCompositionRoot(parts)) return 'root'
  if (parts.length === 2) return parts[1].replace(/\.ts$/, '').replace(/\.js$/, '')
  if (parts[1] === 'adapters') return `adapters/${parts[2]}`
  return parts[1]
}

/** What each layer may import, besides itself; null: anything. */
function allowed(layer) {
  if (layer === 'core') return ['core']
  if (layer === 'analysis') return ['core', 'analysis']
  if (layer === 'stages') return ['core', 'analysis', 'stages']
  if (layer.startsWith('adapters/')) {
    const own = layer.slice('adapters/'.length)
    return [
      'core',
      layer,
      ...(SQL_ADAPTERS.includes(own) ? ['adapters/sql'] : []),
      ...(HTTP_ADAPTERS.includes(own) ? ['adapters/http'] : []),
    ]
  }
  // The edges: config turns settings into the adapters' option objects; the CLI, the web and the root use all.
  if (layer === 'config')
    return ['core', 'config', 'root', ...['fs', 'kafka', 'memory', 'mysql', 'postgres', 's3', 'sql', 'sqlite'].map((a) => `adapters/${a}`)]
  return null
}

export const layeringRule = {
  meta: {
    type: 'problem',
    docs: { description: 'core, analysis, stages and adapters import only the layers beneath them (STANDARDS.md, Layout)' },
    schema: [
      {
        type: 'object',
        properties: { knownViolations: { type: 'array', items: { type: 'string' } } },
        additionalProperties: false,
      },
    ],
    messages: { layer: '{{from}} must not import {{to}} ({{source}}): {{rule}}' },
  },
  create(context) {
    const root = context.cwd
    const file = path.relative(root, context.filename).split(path.sep).join('/')
    const from = layerOf(file)
    const permitted = from === null ? null : allowed(from)
    if (permitted === null) return {}
    // `file -> layer` pairs that are being removed (listed in eslint.config.js); every other import is checked.
    const known = new Set(context.options[0]?.knownViolations ?? [])
    const check = (node) => {
      const source = node.source?.value
      if (typeof source !== 'string' || !source.startsWith('.')) return
      const target = path
        .relative(root, path.resolve(path.dirname(context.filename), source))
        .split(path.sep)
        .join('/')
      const to = layerOf(target.replace(/\.js$/, '.ts')) ?? target
      if (permitted.includes(to) || known.has(`${file} -> src/${to}`)) return
      const shown = (layer, where) => (layer === 'root' ? `${where.replace(/\.js$/, '.ts')} (the composition root)` : `src/${layer}`)
      context.report({
        node: node.source,
        messageId: 'layer',
        data: {
          from: shown(from, file),
          to: shown(to, target),
          source,
          rule: `${from} may import only ${permitted.map((layer) => `src/${layer}`).join(', ')}`,
        },
      })
    }
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check }
  },
}
