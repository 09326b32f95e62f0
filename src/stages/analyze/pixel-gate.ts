/**
 * Admits analyses while the decoded pixels they hold fit a budget, first come first served, so that the number of
 * handlers in flight (IMGPIPE_CONSUMER_CONCURRENCY, sized for overlapping database and store round trips) does not
 * decide the memory: eight 350 px analyses hold 9 MB, eight 4096×4096 ones would hold 1.2 GB. An analysis larger
 * than the whole budget runs when nothing else holds any, so it always gets its turn.
 */
export class PixelGate {
  private used = 0
  private readonly waiting: { bytes: number; admit: () => void }[] = []

  constructor(private readonly budget: number) {}

  /** Bytes admitted now. */
  get held(): number {
    return this.used
  }

  /** Waits for room for `bytes`; resolves with the function that gives them back (once, whatever the calls). */
  async acquire(bytes: number): Promise<() => void> {
    if (this.waiting.length === 0 && this.fits(bytes)) {
      this.used += bytes
    } else {
      await new Promise<void>((admit) => this.waiting.push({ bytes, admit }))
    }
    let released = false
    return () => {
      if (released) return
      released = true
      this.used -= bytes
      this.admitWaiting()
    }
  }

  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.budget
  }

  private admitWaiting(): void {
    for (let next = this.waiting[0]; next !== undefined && this.fits(next.bytes); next = this.waiting[0]) {
      this.waiting.shift()
      this.used += next.bytes
      next.admit()
    }
  }
}
