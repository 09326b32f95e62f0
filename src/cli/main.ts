#!/usr/bin/env node
import { loadDotEnv } from './env-file.js'
import { runCli } from './program.js'

// The SDK's seven-line notice that its 2027 releases will need Node 22 would break the CLI's promise of one
// line per failure on stderr; the README states the Node support instead.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true'

try {
  // Before anything reads the environment; variables already set win over the file.
  loadDotEnv()
  process.exitCode = await runCli(process.argv)
} catch (error) {
  process.stderr.write(`imgpipe: cannot load .env: ${error instanceof Error ? error.message : String(error)} [IMGPIPE_CONFIG_INVALID]\n`)
  process.exitCode = 2
}
