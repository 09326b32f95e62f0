import { ClosedError } from '../core/errors.js'

/**
 * Start-up steps (topic creation, recovery, subscribing) retry for as long as a service is down. Until the
 * stages consume, no message is in hand, so a stop must end them at once rather than wait for a broker that
 * may never answer: while start-up lasts, `stop` aborts `interrupt` (which breaks the stages' retry loops), and
 * each step is raced against `stop`. A step given up on keeps running until the caller closes the backends;
 * its late failure is ignored.
 */
export class StartUp {
  private readonly onStop = (): void => this.interrupt.abort()

  constructor(
    private readonly stop: AbortSignal,
    private readonly interrupt: AbortController,
  ) {
    if (stop.aborted) interrupt.abort()
    else stop.addEventListener('abort', this.onStop, { once: true })
  }

  /** Resolves as `step` does, or rejects with StoppedDuringStartUp as soon as `stop` aborts. */
  run<T>(step: Promise<T>): Promise<T> {
    step.catch(() => undefined)
    if (this.stop.aborted) return Promise.reject(new StoppedDuringStartUp())
    return new Promise<T>((resolve, reject) => {
      const onStop = (): void => reject(new StoppedDuringStartUp())
      this.stop.addEventListener('abort', onStop, { once: true })
      step.then(resolve, reject).finally(() => this.stop.removeEventListener('abort', onStop))
    })
  }

  /** Start-up is over: from now on a stop lets the message in hand finish (the caller's grace period). */
  done(): void {
    this.stop.removeEventListener('abort', this.onStop)
  }
}

/** A stop arrived before the stages were consuming: not a failure, the run simply ends. */
export class StoppedDuringStartUp extends ClosedError {
  constructor() {
    super('start-up (stopped by signal)')
  }
}
