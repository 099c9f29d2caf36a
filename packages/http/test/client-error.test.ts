import { connect } from 'node:net'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpApp, type HttpApp } from '../src/index.js'

type RawResponse = { status: number; headers: Record<string, string>; body: string }

/** Sends `raw` bytes as they are (no HTTP client would send them) and reads the answer until the server closes. */
const sendRaw = (port: number, raw: string): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const [head = '', ...rest] = text.split('\r\n\r\n')
      const [statusLine = '', ...headerLines] = head.split('\r\n')
      const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]))
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') })
    })
    socket.write(raw)
  })

// What `curl -H "Authorization: Bearer $T"` sends when T=$(npm run token -- …) captured npm's banner:
// curl passes the value's line feeds through as they are.
const BANNER_TOKEN = '\n> experiments-platform@0.1.0 token\n> node packages/devstack/dist/token-cli.js --tenant acme\n\neyJhbGciOiJIUzI1NiJ9.e30.c2ln'

describe("a request that Node's HTTP parser refuses", () => {
  let app: HttpApp
  let port: number
  const logLines: string[] = []

  beforeAll(async () => {
    const stream = new Writable({
      write: (chunk, _encoding, done) => {
        logLines.push(String(chunk))
        done()
      },
    })
    app = await createHttpApp({ title: 'test', version: '0', bodyLimit: 1024, fastify: { logger: { level: 'info', stream } } })
    app.get('/api/experiments', async () => ({ data: [] }))
    await app.listen({ host: '127.0.0.1', port: 0 })
    port = (app.server.address() as { port: number }).port
  })
  afterAll(() => app.close())

  it('answers 400 VALIDATION_FAILED in the envelope for an Authorization header whose value holds line breaks', async () => {
    const response = await sendRaw(port, `GET /api/experiments HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${BANNER_TOKEN}\r\n\r\n`)
    expect(response.status).toBe(400)
    expect(response.headers['content-type']).toMatch(/^application\/json/)
    expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.body))
    const envelope = JSON.parse(response.body)
    expect(envelope).toEqual({
      error: { code: 'VALIDATION_FAILED', message: expect.stringContaining('a header value cannot contain a line break') },
      requestId: expect.any(String),
    })
    expect(response.headers['x-request-id']).toBe(envelope.requestId)
    // Logged under the request id, without the request's bytes: they hold the token.
    const logged = logLines.filter((line) => line.includes(envelope.requestId))
    expect(logged).toHaveLength(1)
    expect(logged[0]).toContain('malformed request')
    expect(logLines.join('')).not.toMatch(/rawPacket|c2ln/)
  })

  it('answers 400 in the envelope for an obsolete folded header line', async () => {
    const response = await sendRaw(port, 'GET /api/experiments HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer a\r\n b\r\n\r\n')
    expect(response.status).toBe(400)
    expect(JSON.parse(response.body).error.code).toBe('VALIDATION_FAILED')
  })

  it('answers 400 in the envelope for a request line that is not HTTP', async () => {
    const response = await sendRaw(port, 'HELLO THERE\r\n\r\n')
    expect(response.status).toBe(400)
    expect(JSON.parse(response.body).error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('not valid HTTP') })
  })

  it('answers 431 HEADERS_TOO_LARGE in the envelope for headers over the size limit', async () => {
    const response = await sendRaw(port, `GET /api/experiments HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
    expect(response.status).toBe(431)
    expect(JSON.parse(response.body).error.code).toBe('HEADERS_TOO_LARGE')
  })

  it('still answers a well-formed request on the same server', async () => {
    const response = await sendRaw(port, 'GET /api/experiments HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
    expect(response.status).toBe(200)
    expect(JSON.parse(response.body)).toEqual({ data: [] })
  })
})
