import http from 'node:http'
import autocannon from 'autocannon'

export type RoundResult = {
  rps: number
  /** Requests answered within the round. */
  completed: number
  p50: number
  p99: number
  /** The slowest answer of the round, ms. */
  max: number
  /** Responses with a 2xx status. */
  ok: number
  non2xx: number
  errors: number
  timeouts: number
}

/**
 * One autocannon round: POST `body()` (a fresh body per request) with the bearer token on every
 * request. With `amount`, exactly that many requests are sent and the round lasts until all are
 * answered (`seconds` is then ignored).
 */
export const postRound = async (opts: {
  url: string
  token: string
  seconds: number
  connections: number
  body: () => string
  amount?: number
}): Promise<RoundResult> => {
  const result = await autocannon({
    url: opts.url,
    method: 'POST',
    connections: opts.connections,
    duration: opts.seconds,
    ...(opts.amount === undefined ? {} : { amount: opts.amount }),
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
  return roundResultOf(result)
}

/** What a round of autocannon measured, in this harness's terms. */
export const roundResultOf = (result: autocannon.Result): RoundResult => ({
  rps: result.requests.total / result.duration,
  completed: result.requests.total,
  p50: result.latency.p50,
  p99: result.latency.p99,
  max: result.latency.max,
  ok: result['2xx'],
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
})

/** One request of an open-loop run: when it was sent (performance.now(), ms), how long its answer took, its status (0: no answer). */
export type OpenLoopAnswer = { sentAt: number; ms: number; status: number; error?: string }

/**
 * Open-loop load: POSTs `body()` to `url` at `perSecond` requests per second, evenly spaced, each
 * sent when it is due whatever the earlier ones are still waiting for (on a keep-alive connection
 * that is free, else a new one), until stop(). Every answer is recorded with its status; a request
 * left without an answer for `timeoutMs` (or refused) counts with status 0. autocannon's
 * `overallRate` is not this: it gives each connection a quota per second, which the connection
 * sends back to back at the start of every second, so the load arrives in bursts at full speed.
 * node:http rather than fetch: fetch cost the load generator three to four times the CPU per request.
 */
export const startOpenLoop = (opts: { url: string; token: string; perSecond: number; body: () => string; timeoutMs?: number }) => {
  const answers: OpenLoopAnswer[] = []
  const inFlight = new Set<Promise<void>>()
  const target = new URL(opts.url)
  const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY })
  const timeoutMs = opts.timeoutMs ?? 10_000
  let running = true
  let sent = 0

  const send = () =>
    new Promise<void>((resolve) => {
      const body = opts.body()
      const sentAt = performance.now()
      let answered = false
      const answer = (status: number, error?: string) => {
        if (answered) return
        answered = true
        answers.push({ sentAt, ms: performance.now() - sentAt, status, ...(error === undefined ? {} : { error }) })
        resolve()
      }
      const request = http.request(
        {
          hostname: target.hostname,
          port: target.port,
          path: `${target.pathname}${target.search}`,
          method: 'POST',
          agent,
          headers: { authorization: `Bearer ${opts.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          response.on('end', () => answer(response.statusCode ?? 0))
          response.on('error', (error) => answer(0, error.name))
          response.resume()
        },
      )
      request.setTimeout(timeoutMs, () => request.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' })))
      request.on('error', (error: NodeJS.ErrnoException) => answer(0, error.name === 'TimeoutError' ? error.name : (error.code ?? error.name)))
      request.end(body)
    })

  const startedAt = performance.now()
  const pacer = (async () => {
    while (running) {
      const due = Math.floor(((performance.now() - startedAt) / 1000) * opts.perSecond) + 1
      while (sent < due) {
        sent++
        const request = send()
        inFlight.add(request)
        void request.then(() => inFlight.delete(request))
      }
      await new Promise((r) => setTimeout(r, 1))
    }
  })()

  return {
    startedAt,
    /** Every answer so far, in the order they came. */
    answers,
    /** Stops sending, waits for the answers still due; the run's answers, requests sent and seconds of sending. */
    stop: async () => {
      running = false
      await pacer
      const seconds = (performance.now() - startedAt) / 1000
      await Promise.all(inFlight)
      agent.destroy()
      return { answers, sent, seconds }
    },
  }
}
export type OpenLoop = ReturnType<typeof startOpenLoop>
