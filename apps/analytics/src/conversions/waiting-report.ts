import type { Queue } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'

/**
 * How long the oldest conversions job not stored yet (waiting for a retry, or taken up again) has
 * waited since it was accepted. Gateways add jobs under BullMQ's increasing numeric ids, so the
 * lowest id is the oldest job: one read of the ids and one of a job, not of every job's events.
 */
const oldestWaitMs = async (queue: Queue): Promise<number | undefined> => {
  const ids = await queue.getRanges(['delayed', 'wait', 'active', 'prioritized'], 0, -1)
  let oldest: string | undefined
  for (const id of ids) if (/^\d+$/.test(id) && (oldest === undefined || Number(id) < Number(oldest))) oldest = id
  const job = await queue.getJob(oldest ?? ids[0] ?? '')
  return job ? Date.now() - job.timestamp : undefined
}

/**
 * Every `everyMs` while acknowledged conversion batches wait for a retry (PostgreSQL away, say),
 * logs at warn how many wait, for how long the oldest has, and how many failed for good; once none
 * waits any more, says so at info. Each worker process reports what the shards' queues hold, all
 * workers' batches. Returns stop().
 */
export const reportWaitingBatches = ({ queues, log, everyMs }: { queues: () => Queue[]; log: FastifyBaseLogger; everyMs: number }) => {
  let waiting = false
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  const report = async () => {
    const shards = await Promise.all(queues().map(async (queue) => ({ queue, counts: await queue.getJobCounts('delayed', 'failed') })))
    const delayed = shards.reduce((sum, { counts }) => sum + (counts.delayed ?? 0), 0)
    const failed = shards.reduce((sum, { counts }) => sum + (counts.failed ?? 0), 0)
    if (delayed === 0) {
      if (waiting) log.info({ waitingForRetry: 0, failed }, 'no acknowledged conversion batch waits for a retry any more')
      waiting = false
      return
    }
    waiting = true
    const waits = await Promise.all(shards.filter(({ counts }) => (counts.delayed ?? 0) > 0).map(({ queue }) => oldestWaitMs(queue)))
    const known = waits.filter((ms): ms is number => ms !== undefined)
    const oldest = known.length > 0 ? Math.max(...known) : undefined
    const seconds = oldest === undefined ? '?' : Math.round(oldest / 1000)
    log.warn(
      { waitingForRetry: delayed, oldestWaitMs: oldest, failed },
      `${delayed} acknowledged conversion batch(es) wait for a retry, the oldest for ${seconds} s; they are stored once the cause passes`,
    )
  }
  const tick = () => {
    timer = setTimeout(async () => {
      await report().catch((err) => log.warn({ err }, 'could not read the conversions queue for the report of batches waiting for a retry'))
      if (!stopped) tick()
    }, everyMs)
    timer.unref()
  }
  tick()
  return {
    stop: () => {
      stopped = true
      clearTimeout(timer)
    },
  }
}
