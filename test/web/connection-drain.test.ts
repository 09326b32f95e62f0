import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ConnectionDrain } from '../../src/web/connection-drain.js'

let server: Server | undefined
afterEach(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined))
  server = undefined
})

/** A server whose `/slow` answers only when the test says so. */
async function start(): Promise<{ port: number; drain: ConnectionDrain; release: () => void; requested: Promise<void> }> {
  let release: () => void = () => undefined
  let requested: () => void = () => undefined
  const requestedPromise = new Promise<void>((resolve) => (requested = resolve))
  const released = new Promise<void>((resolve) => (release = resolve))
  server = createServer((request, response) => {
    if (request.url === '/slow') {
      requested()
      void released.then(() => response.end('slow done'))
    } else response.end('ok')
  })
  const drain = new ConnectionDrain(server)
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  return { port: (server.address() as AddressInfo).port, drain, release, requested: requestedPromise }
}

function rawConnection(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((resolve) => {
    let text = ''
    const socket = connect(port, '127.0.0.1', () => resolve({ socket, received: () => text, closed }))
    socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
    const closed = new Promise<void>((done) => socket.on('close', () => done()))
  })
}

describe('ConnectionDrain', () => {
  it('lets close() finish at once although a client holds a connection that never sent a request', async () => {
    const { port, drain } = await start()
    const spare = await rawConnection(port)
    const closing = new Promise((resolve) => server?.close(resolve))
    drain.drain()
    await spare.closed
    await closing
    server = undefined
  })

  it('answers the request in flight in full, then closes its connection', async () => {
    const { port, drain, release, requested } = await start()
    const busy = await rawConnection(port)
    busy.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n')
    await requested
    const idle = await rawConnection(port)
    idle.socket.write('GET /fast HTTP/1.1\r\nHost: x\r\n\r\n')
    await new Promise<void>((resolve) => {
      const check = () => (idle.received().endsWith('ok') ? resolve() : setImmediate(check))
      check()
    })
    const closing = new Promise((resolve) => server?.close(resolve))
    drain.drain()
    await idle.closed
    release()
    await busy.closed
    expect(busy.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*slow done$/)
    await closing
    server = undefined
  })
})

describe('ConnectionDrain and closed connections', () => {
  it('forgets a socket whose client went away while a response was still open (no leak)', async () => {
    let opened = 0
    let allOpen: () => void = () => undefined
    const allOpened = new Promise<void>((resolve) => (allOpen = resolve))
    server = createServer((_request, response) => {
      // An endless response, like `/events`, that only the client's leaving ends.
      response.writeHead(200, { 'content-type': 'text/event-stream' })
      response.write(': open\n\n')
      if ((opened += 1) === 20) allOpen()
    })
    const drain = new ConnectionDrain(server)
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    const clients = await Promise.all(Array.from({ length: 20 }, () => rawConnection(port)))
    for (const client of clients) client.socket.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n')
    await allOpened
    expect(drain.trackedSockets).toBe(20)
    for (const client of clients) client.socket.destroy()
    await Promise.all(clients.map((client) => client.closed))
    // Both `close` events of each server-side socket must have run before counting.
    for (let tries = 0; tries < 100 && drain.trackedSockets > 0; tries += 1) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(drain.trackedSockets).toBe(0)
  })
})
