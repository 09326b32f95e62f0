// Copies the non-TypeScript files under src/ (the viewer's .css, .js and .svg) into a build's output folder,
// at the same relative paths, since tsc emits only what it compiles. Usage: node scripts/copy-assets.mjs [outDir]
import { cpSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const source = fileURLToPath(new URL('../src/', import.meta.url))
const target = process.argv[2] ?? 'dist'
cpSync(source, target, {
  recursive: true,
  filter: (path) => !path.endsWith('.ts') && !path.endsWith('.map'),
})
