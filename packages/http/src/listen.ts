import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'

/**
 * Listens, then on SIGTERM/SIGINT stops accepting, drains in-flight requests and runs `onClose`
 * (Fastify's own onClose hooks close the app's connections).
 */
export const listenUntilSignalled = async (app: FastifyInstance, { host, port }: { host: string; port: number }) => {
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an uncaught error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
  })
  await app.listen({ host, port })
}
