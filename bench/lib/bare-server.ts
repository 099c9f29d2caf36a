/**
 * The baseline for bench/assignment.ts: Fastify 5 with the same route and body, nothing else. It
 * parses the JSON body (Fastify's default parser) and answers a constant body of the real
 * response's shape. Deliberately bare: no JWT verification (the token is still sent), no schema
 * validation or serialization, no hooks, no logger.
 */
import Fastify from 'fastify'

const port = Number(process.env.BARE_PORT)
const host = process.env.HOST ?? '127.0.0.1'

const answer = {
  data: {
    experimentId: 'exp_bench',
    userId: 'bench-user',
    variant: { id: 'var_bench', name: 'control', flowId: null, config: {} },
    reason: 'assigned',
  },
}

const app = Fastify({ logger: false })
app.get('/ready', async () => ({ status: 'ready' }))
app.post('/api/experiments/:id/assignments', async () => answer)

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)))
await app.listen({ host, port })
