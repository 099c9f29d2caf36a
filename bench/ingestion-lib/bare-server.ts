/**
 * The baseline for (a) of bench/ingestion.ts: Fastify 5 with the gateway's route and body limit
 * (1 MiB), nothing else. It parses the JSON body (Fastify's default parser) and answers 202 with
 * the real response's shape. Deliberately bare: no JWT verification (the token is still sent), no
 * schema validation, no Redis, no hooks, no logger.
 */
import Fastify from 'fastify'

const port = Number(process.env.BARE_PORT)
const host = process.env.HOST ?? '127.0.0.1'

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 })
app.get('/ready', async () => ({ status: 'ready' }))
app.post('/api/conversions', async (request, reply) =>
  reply.code(202).send({ data: { accepted: (request.body as { events: unknown[] }).events.length } }),
)

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)))
await app.listen({ host, port })
