#!/usr/bin/env node
import { runCli } from './program.js'

// The SDK's seven-line notice that its 2027 releases will need Node 22 would break the CLI's promise of one
// line per failure on stderr; the README states the Node support instead.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true'

process.exitCode = await runCli(process.argv)
