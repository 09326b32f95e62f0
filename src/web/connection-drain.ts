import type { Server } from 'node:http'
import type { Socket } from 'node:net'

/**
 * Lets `server.close()` finish as soon as the requests in flight are answered.
 *
 * Node's own `closeIdleConnections` (which Fastify calls) leaves alone connections that never sent a
 * request: browsers and fetch open spare ones ahead of need, and the server would wait for the client to
 * drop them or for its headers timeout (a minute). This tracks requests per socket; once `drain()` was called,
 * every socket without a request in flight is destroyed, now or when its last response is done.
 */
export class ConnectionDrain {
  readonly #inFlight = new Map<Socket, number>()
  #draining = false

  constructor(server: Server) {
    server.on('connection', (socket: Socket) => {
      if (this.#draining) {
        socket.destroy()
        return
      }
      this.#inFlight.set(socket, 0)
      socket.once('close', () => this.#inFlight.delete(socket))
    })
    server.on('request', (request, response) => {
      const socket = request.socket
      // A socket already closed is not tracked again: the map would keep it, and its unsent data, for good.
      if (socket.destroyed || !this.#inFlight.has(socket)) return
      this.#inFlight.set(socket, (this.#inFlight.get(socket) ?? 0) + 1)
      response.once('close', () => {
        // The socket's own `close` often comes first (a client that went away): it is gone from the map then.
        if (!this.#inFlight.has(socket)) return
        const left = (this.#inFlight.get(socket) ?? 1) - 1
        this.#inFlight.set(socket, left)
        if (this.#draining && left === 0) close(socket)
      })
    })
  }

  /** Sockets tracked now: open connections only, so a leak shows here. */
  get trackedSockets(): number {
    return this.#inFlight.size
  }

  /** Closes idle connections now and busy ones after their last response. */
  drain(): void {
    this.#draining = true
    for (const [socket, count] of this.#inFlight) if (count === 0) close(socket)
  }
}

/** Flushes what the socket still holds (the end of the last response), then closes it without waiting for the client. */
function close(socket: Socket): void {
  socket.end(() => socket.destroy())
}
