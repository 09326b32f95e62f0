// The built CLI with `imgpipe view` registered, for tests run before src/cli/program.ts registers it
// (view-cli.ts uses dist/cli/main.js itself as soon as it does). Mirrors main.js and runCli: exit
// codes, one-line errors.
import { CommanderError } from 'commander'
import { registerViewCommand } from '../../../../dist/cli/commands/view-command.js'
import { buildProgram } from '../../../../dist/cli/program.js'
import { describeError, isImgpipeError } from '../../../../dist/core/errors.js'

// As dist/cli/main.js does: no seven-line AWS SDK notice about Node 22 on stderr.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true'

const program = buildProgram()
if (!program.commands.some((command) => command.name() === 'view')) registerViewCommand(program)
try {
  await program.parseAsync(process.argv)
  process.exitCode = typeof process.exitCode === 'number' ? process.exitCode : 0
} catch (error) {
  if (error instanceof CommanderError) process.exitCode = error.exitCode === 0 ? 0 : 2
  else {
    const code = isImgpipeError(error) ? error.code : 'IMGPIPE_INTERNAL'
    process.stderr.write(`imgpipe: ${describeError(error)} [${code}]\n`)
    process.exitCode = code === 'IMGPIPE_CONFIG_INVALID' || code === 'IMGPIPE_USAGE' ? 2 : 1
  }
}
