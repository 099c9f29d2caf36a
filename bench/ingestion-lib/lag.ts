import type pg from 'pg'
import { batchBody, eventBatch } from './events.js'

const POLL_MS = 10
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * (c) End-to-end lag: sends batches to the gateway at a fixed rate and, for the first event of
 * each batch, measures from its 202 to the first poll of PostgreSQL that sees it in
 * `conversions` (the statement that inserts it also updates the aggregates, so it is counted).
 * A poll starts every POLL_MS; the lag taken is that poll's start, an upper bound within POLL_MS.
 */
export const measureLag = async (opts: {
  url: string
  token: string
  experimentId: string
  tenantId: string
  perSecond: number
  seconds: number
  db: pg.Client
}) => {
  const answeredAt = new Map<string, number>()
  const lags: number[] = []
  const statuses = new Map<number, number>()
  let sending = true

  const send = async () => {
    const events = eventBatch(opts.experimentId)
    const response = await fetch(opts.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${opts.token}`, 'content-type': 'application/json' },
      body: batchBody(events),
    })
    await response.arrayBuffer()
    const at = performance.now()
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
    if (response.status === 202) answeredAt.set(events[0]!.eventId, at)
  }

  const poll = async (deadline: () => number) => {
    while (sending || (answeredAt.size > 0 && performance.now() < deadline())) {
      const started = performance.now()
      if (answeredAt.size > 0) {
        const { rows } = await opts.db.query<{ event_id: string }>('select event_id from conversions where tenant_id = $1 and event_id = any($2::text[])', [
          opts.tenantId,
          [...answeredAt.keys()],
        ])
        for (const { event_id } of rows) {
          lags.push(started - answeredAt.get(event_id)!)
          answeredAt.delete(event_id)
        }
      }
      await sleep(Math.max(0, POLL_MS - (performance.now() - started)))
    }
  }
  let sentAll = Infinity
  const poller = poll(() => sentAll + 60_000)

  const requests: Promise<void>[] = []
  const total = Math.round(opts.seconds * opts.perSecond)
  const start = performance.now()
  while (requests.length < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * opts.perSecond) + 1)
    while (requests.length < due) requests.push(send())
    await sleep(2)
  }
  const sendSeconds = (performance.now() - start) / 1000
  await Promise.all(requests)
  sentAll = performance.now()
  sending = false
  await poller
  return { lags, batches: requests.length, sendSeconds, statuses: Object.fromEntries(statuses), neverSeen: answeredAt.size }
}
