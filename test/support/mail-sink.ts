import type { AddressInfo } from 'node:net'
import { simpleParser } from 'mailparser'
import type { ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'

/** A real SMTP server on 127.0.0.1 (the smtp-server package) that parses every mail with mailparser. */
export class MailSink {
  readonly mails: Array<{ to: string[]; parsed: ParsedMail; user: string | undefined }> = []
  rejectRcpt: { code: number; message: string } | null = null
  readonly server: SMTPServer

  constructor(auth: { user: string; pass: string } | null) {
    this.server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      authOptional: auth === null,
      allowInsecureAuth: true,
      onAuth: (login, _session, callback) => {
        if (auth !== null && login.username === auth.user && login.password === auth.pass) return callback(null, { user: login.username })
        callback(new Error('535 authentication failed'))
      },
      onRcptTo: (_address, _session, callback) => {
        if (this.rejectRcpt === null) return callback()
        callback(Object.assign(new Error(this.rejectRcpt.message), { responseCode: this.rejectRcpt.code }))
      },
      onData: (stream, session, callback) => {
        simpleParser(stream, { keepCidLinks: true })
          .then((parsed) => {
            this.mails.push({
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              parsed,
              user: typeof session.user === 'string' ? session.user : undefined,
            })
            callback()
          })
          .catch(callback)
      },
      logger: false,
    })
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()))
    return `smtp://127.0.0.1:${(this.server.server.address() as AddressInfo).port}`
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}
