import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

/**
 * Fastify's two lines per request ("incoming request", "request completed") at debug level
 * instead of info; errors keep their level. At LOG_LEVEL=info they cost the assignment service
 * about 40 % of its CPU per request (bench/assignment.ts: 121 against 67–84 µs), a price the hot
 * routes cannot pay by default; the ingress in front logs requests anyway. LOG_LEVEL=debug brings
 * them back.
 */
export class RequestLinesAtDebug extends LogController {
  override incomingRequest(request: FastifyRequest) {
    request.log.debug({ req: request }, 'incoming request')
  }

  override requestCompleted(error: Error | null | undefined, _request: FastifyRequest, reply: FastifyReply) {
    if (error) reply.log.error({ res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored')
    else reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed')
  }
}
