/**
 * The baseline for bench/sdk-payload.ts: Fastify 5 serving the bytes of the file BARE_PAYLOAD_FILE
 * (a payload the assignment service served) from memory on the same route, nothing else: no client
 * key lookup, no ETag, no CORS or caching headers, no hooks, no logger.
 */
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'

const port = Number(process.env.BARE_PORT)
const host = process.env.HOST ?? '127.0.0.1'
const payload = readFileSync(process.env.BARE_PAYLOAD_FILE!)

const app = Fastify({ logger: false })
app.get('/ready', async () => ({ status: 'ready' }))
app.get('/api/features/:clientKey', (_request, reply) => reply.type('application/json; charset=utf-8').send(payload))

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)))
await app.listen({ host, port })
