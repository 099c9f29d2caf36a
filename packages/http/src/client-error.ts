import { randomUUID } from 'node:crypto'
import { maxHeaderSize, STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { ErrorCode } from '@experiments/contracts'
import { statusOf } from './errors.js'

/** Node's HTTP parser errors carry the parser's code (HPE_*) and, for parse errors, its reason. */
type ParserError = Error & { code?: string; reason?: string }

// Parser errors of a header line that is not `name: value` terminated by CRLF: most often a value
// holding a line break, as a token captured together with `npm run`'s banner does.
const HEADER_LINE_ERRORS = new Set(['HPE_CR_EXPECTED', 'HPE_LF_EXPECTED', 'HPE_INVALID_HEADER_TOKEN'])

const answerFor = (error: ParserError): { code: ErrorCode; message: string } => {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { code: 'REQUEST_TIMEOUT', message: 'the request did not arrive completely in time' }
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return { code: 'HEADERS_TOO_LARGE', message: `the request headers are larger than the ${maxHeaderSize} bytes the server accepts` }
  }
  const reason = error.reason ?? error.message
  const hint = HEADER_LINE_ERRORS.has(error.code ?? '')
    ? '; a header value cannot contain a line break: does the Authorization header hold more than the token?'
    : ''
  return { code: 'VALIDATION_FAILED', message: `the request is not valid HTTP (${reason})${hint}` }
}

/**
 * Fastify's `clientErrorHandler`: requests Node's HTTP parser refuses (a header value with a line
 * break, oversized headers, a request that never completes) never reach Fastify's error handler,
 * so they are answered here, in the same envelope, before the connection is closed.
 */
export function clientErrorHandler(this: FastifyInstance, error: ParserError, socket: Socket) {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const { code, message } = answerFor(error)
  const requestId = randomUUID()
  // Not the error itself: its rawPacket holds the request's bytes, Authorization header included.
  this.log.info({ requestId, code: error.code, reason: error.reason ?? error.message }, 'malformed request')
  if (socket.writable) {
    const body = JSON.stringify({ error: { code, message }, requestId })
    const status = statusOf[code]
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `x-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
    )
  }
  // As Node and Fastify do by default: the parser cannot resume on this connection.
  socket.destroy()
}
