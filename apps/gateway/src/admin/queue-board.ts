import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import type { IServerAdapter } from '@bull-board/api/typings/app'
import { FastifyAdapter } from '@bull-board/fastify'
import { AppError } from '@experiments/contracts'
import type { RedisClient } from '@experiments/redis'
import type { Queue } from 'bullmq'
import type { FastifyPluginAsync } from 'fastify'
import { admitAdminsOnly } from './admin-auth.js'
import { boardQueues } from './board-queues.js'

class BoardRouteNotFound extends AppError {
  readonly code = 'ROUTE_NOT_FOUND'
}

/** Where the queue dashboard is served. */
export const QUEUE_BOARD_PATH = '/admin/queues'

/**
 * A queue as the board lists it, named by its Redis key prefix (`{conversions-4.1.37}:conversions`,
 * `{bull}:compute-results`): every shard's queue is called `conversions`, and the board tells
 * queues apart by name.
 */
const boardEntry = (queue: Queue) => new BullMQAdapter(queue, { prefix: `${queue.opts.prefix}:` })

export type QueueBoardOptions = {
  redis: RedisClient
  /** The queues the gateway writes to (its conversion shards, compute-results); the board shows them besides its own. */
  queues: Queue[]
}

/**
 * Bull Board, the BullMQ dashboard, for operators (scope admin; register with prefix
 * QUEUE_BOARD_PATH): every queue's jobs by state, failed jobs with their error, retry and the
 * board's other actions. It spans tenants: jobs of every tenant are shown. Its routes are hidden
 * from the OpenAPI document.
 */
export const queueBoard: FastifyPluginAsync<QueueBoardOptions> = async (app, { redis, queues }) => {
  const opened = boardQueues({ redis, ownPrefixes: queues.map((queue) => queue.opts.prefix!), log: app.log })
  app.addHook('onClose', opened.close)
  const serverAdapter = new FastifyAdapter().setBasePath(QUEUE_BOARD_PATH)
  // @bull-board/fastify 9.10.1 brings its own copy of @bull-board/api (9.10.1), whose classes the
  // compiler tells apart from those of the 9.10.2 used here; at run time the adapter takes either.
  const board = createBullBoard({ queues: [...queues, opened.maintenance].map(boardEntry), serverAdapter: serverAdapter as unknown as IServerAdapter })
  // Bull Board answers every error of its routes as a 500 of its own; rethrown, an error goes on to
  // the gateway's handler and gets the error envelope and its status (401, 403, 503).
  serverAdapter.setErrorHandler((error) => {
    throw error
  })

  admitAdminsOnly(app, QUEUE_BOARD_PATH)
  // A path of its own, so that an unknown path under the board also needs the admin token first.
  app.setNotFoundHandler(async (request) => {
    throw new BoardRouteNotFound(`no route ${request.method} ${request.url.split('?')[0]}`)
  })
  app.addHook('preHandler', async () => {
    for (const queue of await opened.openNewShards()) board.addQueue(boardEntry(queue))
  })
  await app.register(serverAdapter.registerPlugin())
}
