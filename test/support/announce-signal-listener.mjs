// Preloaded into a CLI child by test/cli/early-signals.test.ts (NODE_OPTIONS=--import): writes one line to stderr
// when the process first listens for SIGTERM, i.e. when main.ts's first line has run. A test can then signal the
// child inside the start-up window on any machine, however slow Node's own start is.
const on = process.on.bind(process)
let announced = false
process.on = (event, listener) => {
  // Listen first, then announce: a signal sent on the announcement must find the listener in place.
  const result = on(event, listener)
  if (event === 'SIGTERM' && !announced) {
    announced = true
    process.stderr.write('test: listening for SIGTERM\n')
  }
  return result
}
