/**
 * The baselines for (a) of bench/ingestion.ts: Fastify 5 with the gateway's route and body limit
 * (1 MiB), nothing else. It parses the JSON body (Fastify's default parser) and answers 202 with
 * the real response's shape. Deliberately bare: no JWT verification (the token is still sent), no
 * schema validation, no hooks, no logger.
 *
 * With ENQUEUE_ONLY=1 it also enqueues each batch as the gateway's job (same columns, defaults
 * and job options, one BullMQ Queue.add) before answering, still without validating anything or
 * checking ownership: the "prototype that enqueued without validating", the cost of
 * the enqueue alone on this machine.
 */
import { DEFAULT_CONVERSION_QUEUE_SHARDS } from '@experiments/config'
import { CONVERSION_JOB_OPTIONS, conversionShards, QUEUE, toConversionJob } from '@experiments/contracts'
import { Queue } from 'bullmq'
import Fastify from 'fastify'
import { Redis } from 'ioredis'

type Events = Parameters<typeof toConversionJob>[1]

const port = Number(process.env.BARE_PORT)
const host = process.env.HOST ?? '127.0.0.1'

const enqueue = (() => {
  if (process.env.ENQUEUE_ONLY !== '1') return async () => {}
  // The gateway's shards (CONVERSION_QUEUE_SHARDS), round robin as the gateway spreads batches: the bench empties them after each round.
  const connection = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null })
  const shards = conversionShards(Number(process.env.CONVERSION_QUEUE_SHARDS ?? DEFAULT_CONVERSION_QUEUE_SHARDS))
  const queues = shards.map((shard) => new Queue(QUEUE.conversions, { connection, prefix: shard.prefix }))
  let next = 0
  return async (events: Events) => {
    const job = toConversionJob('bench', events, { metric: 'conversion', value: 1, timestamp: new Date().toISOString() })
    await queues[next++ % queues.length]!.add(QUEUE.conversions, job, CONVERSION_JOB_OPTIONS)
  }
})()

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 })
app.get('/ready', async () => ({ status: 'ready' }))
app.post('/api/conversions', async (request, reply) => {
  const { events } = request.body as { events: Events }
  await enqueue(events)
  return reply.code(202).send({ data: { accepted: events.length } })
})

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)))
await app.listen({ host, port })
