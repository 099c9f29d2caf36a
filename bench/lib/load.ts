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

/** One autocannon round: POST `body()` (a fresh body per request) with the bearer token on every request. */
export const postRound = async (opts: { url: string; token: string; seconds: number; connections: number; body: () => string }): Promise<RoundResult> => {
  const result = await autocannon({
    url: opts.url,
    method: 'POST',
    connections: opts.connections,
    duration: opts.seconds,
    headers: { authorization: `Bearer ${opts.token}`, 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (request) => {
          request.body = opts.body()
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
