/**
 * Random-kill trials of the pipeline through the real CLI, shared by `npm run chaos` (bench/chaos.ts) and the
 * service fault tests: stage processes are SIGKILLed at random (seeded) moments and started again until the run is
 * finished, then the catalog and the store are checked against an uninterrupted reference run (pipeline-outcome.ts).
 *
 * - embedded: `imgpipe run` on SQLite and a directory, killed 1–3 times, restarted after each kill;
 * - services: `imgpipe receive`, `analyze` and `alert` as three processes on Kafka, MariaDB or PostgreSQL and
 *   S3Proxy, any of them killed at random moments and restarted; a stage that exits by itself is restarted too, and
 *   its exit must have been one clear line (`imgpipe: … [IMGPIPE_…]`), never a stack trace.
 *
 * Free of vitest, so the command and the tests run the same trials.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { mulberry32 } from '../../src/analysis/sensor-noise.js'
import { FsObjectStore } from '../../src/adapters/fs/fs-object-store.js'
import { openSqliteCatalog } from '../../src/adapters/sqlite/sqlite-catalog.js'
import type { Catalog } from '../../src/core/ports/catalog.js'
import type { ObjectStore } from '../../src/core/ports/object-store.js'
import { cleanEnv } from './cli.js'
import { checkOutcome, type ComparableRows, type Outcome } from './pipeline-outcome.js'
import type { Deployment } from './services-deployment.js'
import { clearFailure, StageProcess } from './stage-process.js'

/** Seeded, so a failing trial can be run again with its seed. */
export const seededRandom = mulberry32

export interface TrialResult extends Outcome {
  kills: number
  /** Stages whose last run did not exit 0 (after the final SIGTERM for analyze and alert). */
  failedResumes: number
  /** Exits we did not cause, each with one clear line (they are restarted). */
  selfExits: number
  /** Exits we did not cause without one clear line: a stack trace or nothing useful. */
  unclearExits: number
  /** The run did not finish within the trial's time limit. */
  hangs: number
  /** Services trials: milliseconds from the start to the end of `during` (null without one), and to the end. */
  duringMs?: number | null
  elapsedMs?: number
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** The stages' runs as the trial's counts; `problems` gets one line per bad exit. */
function judgeRuns(stages: readonly StageProcess[], outcome: Outcome, hangs: number): TrialResult {
  let failedResumes = 0
  let selfExits = 0
  let unclearExits = 0
  for (const stage of stages) {
    const last = stage.last
    if (last === undefined || last.killed || last.result.code !== 0) {
      failedResumes += 1
      outcome.problems.push(`failed resume: ${stage.name}'s last run ended with ${last?.result.code ?? last?.result.signal ?? 'nothing'}`)
    }
    for (const run of stage.exits) {
      if (run.result.code === 0) continue
      selfExits += 1
      const line = clearFailure(run.result)
      if (line === null) {
        unclearExits += 1
        outcome.problems.push(`unclear exit of ${stage.name} (${run.result.code}): ${run.result.stderr.slice(-600)}`)
      }
    }
  }
  const kills = stages.reduce((sum, stage) => sum + stage.kills, 0)
  return { ...outcome, kills, failedResumes, selfExits, unclearExits, hangs }
}

/** Opens the trial's catalog and store, checks them against the reference, closes them. */
async function check(catalog: Catalog, store: ObjectStore, reference: ComparableRows): Promise<Outcome> {
  try {
    return await checkOutcome(catalog, store, reference)
  } finally {
    await Promise.allSettled([catalog.close(), store.close()])
  }
}

/**
 * `imgpipe run <args>` on a fresh SQLite file and directory, SIGKILLed 1–3 times at moments drawn from the
 * reference run's duration, each time started again, then run to its end.
 */
export async function embeddedTrial(
  args: readonly string[],
  reference: ComparableRows,
  referenceMs: number,
  random: () => number,
): Promise<TrialResult> {
  const wanted = 1 + Math.floor(random() * 3)
  for (let attempt = 0; ; attempt += 1) {
    const dir = await mkdtemp(path.join(tmpdir(), 'imgpipe-chaos-'))
    try {
      const env = cleanEnv({
        IMGPIPE_DATABASE_URL: `sqlite:${path.join(dir, 'imgpipe.db')}`,
        IMGPIPE_OBJECT_STORE_URL: `file:${path.join(dir, 'objects')}`,
      })
      const run = new StageProcess('run', ['run', ...args, '--json'], env, 300_000)
      let finished = false
      for (let kill = 0; kill < wanted && !finished; kill += 1) {
        run.start()
        const ended = await Promise.race([run.exited().then(() => true), sleep(random() * referenceMs).then(() => false)])
        finished = ended || !(await run.kill())
      }
      // The first kill missed (the run was quicker than its moment): draw again on a fresh pipeline.
      if (run.kills === 0 && attempt < 5) continue
      if (!finished) {
        run.start()
        await run.exited()
      }
      const outcome = await check(
        openSqliteCatalog({ path: path.join(dir, 'imgpipe.db') }),
        new FsObjectStore(path.join(dir, 'objects')),
        reference,
      )
      return judgeRuns([run], outcome, 0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }
}

export interface ServicesTrialOptions {
  /** Arguments of `imgpipe receive` (the mock stream) that the reference rows were made with. */
  args: readonly string[]
  reference: ComparableRows
  /** SIGKILLs, at moments drawn uniformly from [0, killSpanMs) after the start. */
  kills: number
  killSpanMs: number
  random: () => number
  /** Time for the whole trial, kills and recovery included (session timeouts of killed consumers: 30 s each). */
  timeoutMs?: number
  /**
   * Time to finish once `during` resolved (the services are back), when that ends later than `timeoutMs` allows:
   * how long stopping and starting a service takes is the machine's business, recovering from it is the
   * pipeline's. Default: no extension.
   */
  recoveryMs?: number
  /** Called while the trial runs (e.g. to stop a service); the trial ends only after it resolved. */
  during?: (stages: StageProcess[]) => Promise<void>
}

/**
 * The three stages as separate processes on a deployment: `kills` SIGKILLs of a random running stage at random
 * moments, each killed stage started again at once; a stage that exits by itself is started again after a second.
 * Ends when `receive` has exited 0 and the catalog holds every analysed image and delivered alert of the
 * reference; then `analyze` and `alert` are stopped with SIGTERM (they must exit 0) and the rows and objects checked.
 */
export async function servicesTrial(deployment: Deployment, options: ServicesTrialOptions): Promise<TrialResult> {
  const env = { ...deployment.env, IMGPIPE_LOG_LEVEL: 'warn' }
  const receive = new StageProcess('receive', ['receive', ...options.args, '--json'], env)
  const consumers = ['analyze', 'alert'].map((name) => new StageProcess(name, [name, '--json'], env))
  const stages = [receive, ...consumers]
  const images = options.reference.images.size
  const events = options.reference.events.size
  const catalog = deployment.database.openCatalog()
  const started = Date.now()
  let deadline = started + (options.timeoutMs ?? 240_000)
  let duringMs: number | null = null
  const moments = Array.from({ length: options.kills }, () => started + options.random() * options.killSpanMs).sort((a, b) => a - b)
  const restartAt = new Map<StageProcess, number>()
  let hangs = 0
  let during: Promise<void> | undefined
  try {
    for (const stage of stages) stage.start()
    during = options.during?.(stages)
    let duringDone = during === undefined
    void during?.then(() => {
      duringDone = true
      duringMs = Date.now() - started
      if (options.recoveryMs !== undefined) deadline = Math.max(deadline, Date.now() + options.recoveryMs)
    })
    for (;;) {
      const now = Date.now()
      if (moments.length > 0 && now >= moments[0]!) {
        moments.shift()
        const running = stages.filter((stage) => stage.running)
        const victim = running[Math.floor(options.random() * running.length)]
        if (victim !== undefined && (await victim.kill())) restartAt.set(victim, Date.now())
      }
      for (const stage of stages) {
        if (stage.running) continue
        const last = stage.last
        if (stage === receive && last?.killed === false && last.result.code === 0) continue
        if (!restartAt.has(stage)) restartAt.set(stage, Date.now() + 1_000)
        if (Date.now() >= restartAt.get(stage)!) {
          restartAt.delete(stage)
          stage.start()
        }
      }
      if (moments.length === 0 && duringDone && !receive.running && receive.last?.result.code === 0) {
        const counts = await catalog.counts().catch(() => null)
        if (
          counts !== null &&
          counts.imagesAnalyzed + counts.imagesFailed >= images &&
          counts.alerts >= events &&
          counts.alertsUndelivered === 0
        )
          break
      }
      if (Date.now() > deadline) {
        hangs = 1
        break
      }
      await sleep(100)
    }
    await during
    await Promise.all(consumers.map((stage) => stage.stop()))
    const outcome = await check(catalog, deployment.store.openStore(), options.reference)
    const elapsedMs = Date.now() - started
    if (hangs > 0) {
      const after = duringMs === null ? '' : ` (${duringMs} ms of it until the services were back)`
      outcome.problems.unshift(`hang: not finished after ${elapsedMs} ms${after}`)
    }
    return { ...judgeRuns(stages, outcome, hangs), duringMs, elapsedMs }
  } finally {
    await Promise.allSettled(stages.map((stage) => stage.kill()))
    await Promise.allSettled([catalog.close(), during])
  }
}
