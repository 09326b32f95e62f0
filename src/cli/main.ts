#!/usr/bin/env node
import { rememberEarlySignals } from './early-signals.js'

const early = rememberEarlySignals()
// The SDK's seven-line notice that its 2027 releases will need Node 22 would break the CLI's promise of one
// line per failure on stderr; the README states the Node support instead.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true'
const { loadDotEnv } = await import('./env-file.js')
const { buildProgram, runCli } = await import('./program.js')
// The command's own modules load here, lazily (program.ts), still within the early-signal window.
const program = await buildProgram(process.argv)

const signal = early.judge()
if (signal !== null) {
  process.stderr.write(`imgpipe: ${signal} received while starting, stopped before doing anything\n`)
  process.exitCode = 0
} else {
  try {
    // Before anything reads the environment; variables already set win over the file.
    loadDotEnv()
    process.exitCode = await runCli(process.argv, program)
  } catch (error) {
    process.stderr.write(`imgpipe: cannot load .env: ${error instanceof Error ? error.message : String(error)} [IMGPIPE_CONFIG_INVALID]\n`)
    process.exitCode = 2
  }
}
