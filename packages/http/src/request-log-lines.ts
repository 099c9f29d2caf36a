import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

/**
 * Fastify's two lines per request ("incoming request", "request completed") at debug level
 * instead of info; errors keep their level. Serializing and writing two log lines costs more than
 * the whole work of a hot route such as an assignment, a price those routes cannot pay by default;
 * the ingress in front logs requests anyway. LOG_LEVEL=debug brings them back.
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
