/**
 * Removes a `user:password@` part, and the values of query options that look like secrets, so that a
 * mistaken URL never reaches a log or terminal intact. The password runs to the last `@`: passwords
 * that are not percent-encoded may hold `@`, `/` or `:` themselves.
 */
export function redactUrl(value: string): string {
  return value.replace(/\/\/([^/?#:]*):[^]*@/, '//$1:***@').replace(/([?&][^=&#]*(?:pass|pwd|secret|token|key)[^=&#]*=)[^&#]*/gi, '$1***')
}
