// The layering of STANDARDS.md as an ESLint rule: every relative import of a file under src/ is resolved and
// checked against what the file's layer may depend on — type-only imports (`import type`, `export type … from`,
// `typeof import('…')`) too: a type import still ties the layers together. Packages and node: built-ins are not
// layers.
import path from 'node:path'

/**
 * The composition root: the files directly in src/adapters (open-backends.ts, backend-options.ts,
 * open-channels.ts), which choose an adapter for each port. It is a layer of its own, with its own rule: it
 * imports core and the adapters, never the configuration that calls it.
 */
const isCompositionRoot = (parts) => parts.length === 3 && parts[1] === 'adapters'
/** Adapters that share the SQL catalog in adapters/sql. */
const SQL_ADAPTERS = ['sqlite', 'mysql', 'postgres']
/** Delivery channels that share the guarded HTTP client in adapters/http. */
const HTTP_ADAPTERS = ['webhook', 'slack']
/**
 * An adapter's options file (`src/adapters/kafka/kafka-options.ts`): its options type, description, URL parser and
 * defaults, loading no client library. The only part of an adapter the configuration may import.
 */
const ADAPTER_OPTIONS = 'adapters/*/*-options.ts'
const isAdapterOptions = (file) => /^src\/adapters\/[^/]+\/[^/]+-options\.ts$/.test(file)

/** The layer of a path relative to the repository root (`src/...`), e.g. `core`, `adapters/kafka`, `config`. */
function layerOf(file) {
  const parts = file.split('/')
  if (parts[0] !== 'src') return null
  if (isCompositionRoot(parts)) return 'root'
  // A file directly in src/ is a layer of its own (src/config.ts was `config`): no rule lets anything import it.
  if (parts.length === 2) return parts[1].replace(/\.ts$/, '').replace(/\.js$/, '')
  if (parts[1] === 'adapters') return `adapters/${parts[2]}`
  return parts[1]
}

/** Every adapter folder, for the layers that may import any adapter (the root and the CLI). */
const ANY_ADAPTER = 'adapters/*'

/** What each layer may import, besides itself. Anything else under src/ — an unknown layer included — is refused. */
function allowed(layer) {
  if (layer === 'core') return ['core']
  if (layer === 'analysis') return ['core', 'analysis']
  // The alert packets (Avro) and their codec: a library beside the analysis, for the alert stage to build on.
  if (layer === 'alerts') return ['core', 'alerts']
  if (layer === 'stages') return ['core', 'analysis', 'alerts', 'stages']
  if (layer.startsWith('adapters/')) {
    const own = layer.slice('adapters/'.length)
    return [
      'core',
      layer,
      ...(SQL_ADAPTERS.includes(own) ? ['adapters/sql'] : []),
      ...(HTTP_ADAPTERS.includes(own) ? ['adapters/http'] : []),
    ]
  }
  // The root chooses adapters; it never reads the configuration (the caller hands it options).
  if (layer === 'root') return ['core', 'root', ANY_ADAPTER]
  // The configuration turns settings into the options types their owners declare: core's, the root's, and each
  // adapter's options file — no adapter module that opens anything.
  if (layer === 'config') return ['core', 'config', 'root', ADAPTER_OPTIONS]
  // The viewer renders what the core ports give it; the CLI hands it its settings and ports.
  if (layer === 'web') return ['core', 'analysis', 'web']
  // The CLI is the outermost edge: it may use every layer, and nothing imports it.
  if (layer === 'cli') return ['core', 'analysis', 'alerts', 'stages', 'config', 'root', ANY_ADAPTER, 'web', 'cli']
  return []
}

/** Whether `permitted` lets a file import `target` (a path under src/) of layer `to`. */
function permits(permitted, to, target) {
  if (permitted.includes(to)) return true
  if (permitted.includes(ANY_ADAPTER) && to.startsWith('adapters/')) return true
  return permitted.includes(ADAPTER_OPTIONS) && isAdapterOptions(target)
}

export const layeringRule = {
  meta: {
    type: 'problem',
    docs: { description: 'each layer of src/ imports only the layers STANDARDS.md (Layers) gives it, type-only imports included' },
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
    if (from === null) return {}
    const permitted = allowed(from)
    // `file -> layer` pairs that are being removed (listed in eslint.config.js); every other import is checked.
    const known = new Set(context.options[0]?.knownViolations ?? [])
    /** Checks `source`, the specifier of an import or re-export (or of `typeof import('…')`) at `at`. */
    const checkSource = (at, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return
      const target = path
        .relative(root, path.resolve(path.dirname(context.filename), source))
        .split(path.sep)
        .join('/')
      const targetFile = target.replace(/\.js$/, '.ts')
      const to = layerOf(targetFile) ?? target
      if (permits(permitted, to, targetFile) || known.has(`${file} -> src/${to}`)) return
      const shown = (layer, where) => (layer === 'root' ? `${where.replace(/\.js$/, '.ts')} (the composition root)` : `src/${layer}`)
      context.report({
        node: at,
        messageId: 'layer',
        data: {
          from: shown(from, file),
          to: shown(to, target),
          source,
          rule:
            permitted.length === 0
              ? `${from} is no layer of STANDARDS.md (give it a rule in eslint/layering-rule.js)`
              : `${from} may import only ${permitted.map((layer) => (layer === 'root' ? 'src/adapters/*.ts' : `src/${layer}`)).join(', ')}`,
        },
      })
    }
    const check = (node) => {
      if (node.source != null) checkSource(node.source, node.source.value)
    }
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
      // `typeof import('../config.js')` in a type: typescript-eslint's TSImportType (argument: a literal type).
      TSImportType: (node) => {
        const literal = node.argument?.literal ?? node.source
        if (literal != null) checkSource(literal, literal.value)
      },
    }
  },
}
