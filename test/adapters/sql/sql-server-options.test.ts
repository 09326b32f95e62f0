import { describe, expect, it } from 'vitest'
import { describeServer } from '../../../src/adapters/sql/sql-server-options.js'

describe('describeServer', () => {
  const options = { host: 'db.example.internal', port: 3306, user: 'app', password: 'secret-pw', database: 'imgpipe', ssl: true }

  it('names user, host, port and database, never the password', () => {
    expect(describeServer('mysql', options)).toBe('mysql://app@db.example.internal:3306/imgpipe')
    expect(describeServer('postgres', { ...options, port: 5432 })).toBe('postgres://app@db.example.internal:5432/imgpipe')
    expect(describeServer('mysql', options)).not.toContain('secret-pw')
  })

  it('brackets an IPv6 host', () => {
    expect(describeServer('postgres', { ...options, host: '::1', port: 5432 })).toBe('postgres://app@[::1]:5432/imgpipe')
  })
})
