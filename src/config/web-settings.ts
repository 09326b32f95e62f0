/** The viewer's exposure and limits (`imgpipe web`), read apart from `Config` as no other command needs them. */
export interface WebSettings {
  /** IMGPIPE_WEB_PORT, 0 meaning any free port; the command's --port wins over it. */
  port: number
  /** IMGPIPE_WEB_HOST; the command's --host wins over it. */
  host: string
  /** From IMGPIPE_WEB_TOKEN: asked for by every route but /health when set; never printed. */
  token: string | undefined
  /** `auto`: a token is required to listen beyond loopback. `off`: serve without one anyway. */
  auth: 'auto' | 'off'
  /** Host names the viewer answers to besides localhost and the address it is bound to; `*` for any. */
  allowedHosts: string[]
  maxConnections: number
  /** Open `/events` streams, in all and per client address. */
  maxEventStreams: number
  maxEventStreamsPerClient: number
}
