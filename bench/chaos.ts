/**
 * `npm run chaos [-- --trials N --backends embedded|services|both --seed S]`: random-kill trials of the pipeline
 * through the built CLI (test/support/chaos-trial.ts), one JSON line per backend set on stdout:
 *
 *   {"chaos":"imgpipe","backends":"embedded","trials":20,"kills":41,"lost":0,"duplicated":0,"orphans":0,"failed_resumes":0,...}
 *
 * - embedded: `imgpipe run` (SQLite, a directory, the in-process bus) SIGKILLed 1–3 times per trial;
 * - services: `receive`, `analyze` and `alert` as separate processes on Kafka + S3Proxy and, trial by trial,
 *   MariaDB or PostgreSQL (`source <(scripts/services.sh env)` first), 1–3 SIGKILLs of random stages per trial.
 *
 * Each trial ends with the rows and objects compared with an uninterrupted run's rows: images, events and alerts
 * exactly once with the same values, each image object hashing to its content_sha256, no orphan objects under
 * image/ or difference_image/ (thumbnail/ is a cache the viewer derives, not counted), every stage's last run exit 0.
 * Exit status 1 when any count is not 0; the problems found go to stderr.
 */
import os from 'node:os'
import { parseArgs } from 'node:util'
import { embeddedTrial, seededRandom, servicesTrial, type TrialResult } from '../test/support/chaos-trial.js'
import { comparable, embeddedRows } from '../test/support/pipeline-outcome.js'
import { deploy } from '../test/support/services-deployment.js'
import { TEST_ENV } from '../test/support/integration.js'
import { killStageProcesses } from '../test/support/stage-process.js'

const USAGE = `Usage: npm run chaos -- [--trials N] [--backends embedded|services|both] [--seed S] [--concurrency N]

Random-kill trials of the pipeline through the built CLI; one JSON line per backend set.
  --trials N          trials per backend set (default 20)
  --backends B        embedded, services (Kafka + MariaDB/PostgreSQL + S3Proxy) or both (default both)
  --seed S            seed of the kill moments and victims (default: random, printed in the JSON line)
  --concurrency N     services trials at once, each on its own database, prefix and topics (default 2)
  -h, --help          this text
Exit status 1 when anything was lost, duplicated, mismatched, corrupt, orphaned, or a stage did not resume.`

const EMBEDDED_ARGS = ['--streams', '2', '--count', '20', '--interval', '20']
const SERVICES_ARGS = ['--streams', '2', '--count', '12', '--interval', '60']
const MOCK_ARGS = (args: string[]) => args.slice(0, 4)

function options(): { trials: number; backends: string[]; seed: number; concurrency: number } {
  const { values } = parseArgs({
    options: {
      trials: { type: 'string', default: '20' },
      backends: { type: 'string', default: 'both' },
      seed: { type: 'string' },
      concurrency: { type: 'string', default: '2' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`)
    process.exit(0)
  }
  const positive = (name: string, text: string): number => {
    const value = Number(text)
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got ${text}`)
    return value
  }
  const backends = { embedded: ['embedded'], services: ['services'], both: ['embedded', 'services'] }[values.backends]
  if (backends === undefined) throw new Error(`--backends must be embedded, services or both, got ${values.backends}`)
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : positive('seed', values.seed)
  return { trials: positive('trials', values.trials), backends, seed, concurrency: positive('concurrency', values.concurrency) }
}

const COUNTS = ['lost', 'duplicated', 'mismatched', 'corrupt', 'orphans', 'failedResumes', 'unclearExits', 'hangs'] as const

function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${text}`)
}

/** Runs `trials` trials, `concurrency` at once; trial i draws from its own generator, so a seed replays it. */
async function trials(
  name: string,
  count: number,
  concurrency: number,
  seed: number,
  trial: (index: number, random: () => number) => Promise<TrialResult>,
): Promise<Record<string, unknown>> {
  const started = Date.now()
  const totals: Record<string, number> = { kills: 0, selfExits: 0, ...Object.fromEntries(COUNTS.map((key) => [key, 0])) }
  let next = 0
  let done = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++
        const result = await trial(index, seededRandom(seed + index * 7919))
        for (const key of Object.keys(totals)) totals[key]! += result[key as keyof TrialResult] as number
        for (const problem of result.problems)
          process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}chaos ${name} trial ${index}: ${problem}\n`)
        done += 1
        progress(`chaos ${name}: ${done}/${count} trials, ${totals['kills']} kills`)
      }
    }),
  )
  progress('')
  return {
    chaos: 'imgpipe',
    backends: name,
    trials: count,
    kills: totals['kills'],
    lost: totals['lost'],
    duplicated: totals['duplicated'],
    orphans: totals['orphans'],
    failed_resumes: totals['failedResumes'],
    mismatched: totals['mismatched'],
    corrupt: totals['corrupt'],
    unclear_exits: totals['unclearExits'],
    hangs: totals['hangs'],
    self_exits: totals['selfExits'],
    seed,
    seconds: Math.round((Date.now() - started) / 1000),
    node: process.version,
    cpus: os.cpus().length,
  }
}

async function embedded(count: number, seed: number): Promise<Record<string, unknown>> {
  const started = Date.now()
  const reference = comparable(await embeddedRows(EMBEDDED_ARGS))
  // The uninterrupted run's duration: kill moments are drawn from it.
  const referenceMs = Date.now() - started
  return trials('embedded', count, 1, seed, (_index, random) => embeddedTrial(EMBEDDED_ARGS, reference, referenceMs, random))
}

async function services(count: number, seed: number, concurrency: number): Promise<Record<string, unknown>> {
  const kafkaUrl = process.env[TEST_ENV.kafkaUrl]
  for (const variable of [TEST_ENV.kafkaUrl, TEST_ENV.mysqlUrl, TEST_ENV.postgresUrl, TEST_ENV.s3Url]) {
    if ((process.env[variable] ?? '') === '') throw new Error(`${variable} is not set: run source <(scripts/services.sh env) first`)
  }
  const reference = comparable(await embeddedRows(MOCK_ARGS(SERVICES_ARGS)))
  const databases = { mysql: 0, postgres: 0 }
  const line = await trials('services', count, concurrency, seed, async (index, random) => {
    const kind = index % 2 === 0 ? 'mysql' : 'postgres'
    databases[kind] += 1
    const deployment = await deploy(kafkaUrl!, kind)
    try {
      return await servicesTrial(deployment, {
        args: SERVICES_ARGS,
        reference,
        kills: 1 + Math.floor(random() * 3),
        killSpanMs: 6_000,
        random,
      })
    } finally {
      await deployment.cleanup()
    }
  })
  return { ...line, databases }
}

// The AWS SDK's notice about Node 22 (see src/cli/main.ts) would clutter the output.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true'
let settings: ReturnType<typeof options>
try {
  settings = options()
} catch (error) {
  process.stderr.write(`chaos: ${(error as Error).message}\n${USAGE}\n`)
  process.exit(2)
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killStageProcesses()
    process.exit(130)
  })
}
let failed = false
try {
  for (const backends of settings.backends) {
    const line =
      backends === 'embedded'
        ? await embedded(settings.trials, settings.seed)
        : await services(settings.trials, settings.seed, settings.concurrency)
    process.stdout.write(`${JSON.stringify(line)}\n`)
    if (COUNTS.some((key) => line[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] !== 0)) failed = true
  }
} catch (error) {
  killStageProcesses()
  process.stderr.write(`chaos: ${(error as Error).message}\n`)
  process.exit(1)
}
process.exit(failed ? 1 : 0)
