import { randomUUID } from 'node:crypto'
import autocannon from 'autocannon'

export type RoundResult = {
  rps: number
  /** Requests answered within the round. */
  completed: number
  p50: number
  p99: number
  /** Responses with a 2xx status. */
  ok: number
  non2xx: number
  errors: number
  timeouts: number
}

/**
 * One autocannon round against `url`: POST {userId} with a never-seen user id on every request
 * and the bearer token on every request.
 */
export const loadRound = async ({ url, token, seconds, connections }: { url: string; token: string; seconds: number; connections: number }): Promise<RoundResult> => {
  const result = await autocannon({
    url,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (request: { body?: string }) => {
          request.body = JSON.stringify({ userId: randomUUID() })
          return request
        },
      },
    ],
  })
  return {
    rps: result.requests.total / result.duration,
    completed: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  }
}
