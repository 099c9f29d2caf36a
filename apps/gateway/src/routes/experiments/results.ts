import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { DEFAULT_CONFIDENCE_LEVEL, DEFAULT_METRIC } from '@experiments/contracts'
import { absentBodyAsEmpty } from '@experiments/http'
import {
  ComputedResults,
  ComputeResultsBody,
  Data,
  errorResponses,
  IdParams,
  ListSnapshotsQuery,
  Page,
  RawResultsView,
  SnapshotView,
} from '@experiments/schemas'
import type { ComputeRequester } from '../../domain/compute-requester.js'
import { pageMeta, pageWindow } from '../../domain/paging.js'
import type { ResultsReader } from '../../domain/results-reader.js'
import type { Static } from 'typebox'

const errors = errorResponses(400, 401, 403, 404, 503)
const tags = ['results']

type Opts = { results: ResultsReader; computer: ComputeRequester }

/** Raw results, computed statistics and their snapshots (scope experiments:read). */
export const resultRoutes: FastifyPluginAsyncTypebox<Opts> = async (app, { results, computer }) => {
  const read = app.requireScope('experiments:read')

  app.get(
    '/:id/results',
    {
      onRequest: read,
      schema: { summary: 'Raw results: participants and per-metric counts per variant', tags, params: IdParams, response: { 200: RawResultsView, ...errors } },
    },
    async (request) => ({ data: await results.raw(request.user.tenantId, request.params.id) }),
  )

  app.post(
    '/:id/compute-results',
    {
      onRequest: read,
      // The body is optional: no body means every default.
      preValidation: absentBodyAsEmpty,
      schema: {
        summary: 'Compute the statistics and store them as a snapshot (body optional)',
        tags,
        params: IdParams,
        body: ComputeResultsBody,
        response: { 200: Data(ComputedResults), ...errors },
      },
    },
    async (request) => {
      const body = request.body
      const experiment = await results.mustExist(request.user.tenantId, request.params.id)
      if (body.controlVariantId) await results.mustBeVariant(experiment.id, body.controlVariantId, '/controlVariantId')
      const computed = await computer.compute({
        tenantId: request.user.tenantId,
        experimentId: experiment.id,
        metric: body.metric ?? DEFAULT_METRIC,
        confidenceLevel: body.confidenceLevel ?? DEFAULT_CONFIDENCE_LEVEL,
        controlVariantId: body.controlVariantId ?? null,
      })
      return { data: computed as Static<typeof ComputedResults> }
    },
  )

  app.get(
    '/:id/snapshots',
    {
      onRequest: read,
      schema: {
        summary: 'List stored computations, newest first',
        tags,
        params: IdParams,
        querystring: ListSnapshotsQuery,
        response: { 200: Page(SnapshotView), ...errors },
      },
    },
    async (request) => {
      const { page, limit, offset } = pageWindow(request.query)
      const { rows, total } = await results.snapshots(request.user.tenantId, request.params.id, offset, limit)
      return { data: rows as Static<typeof SnapshotView>[], meta: pageMeta(total, page, limit) }
    },
  )
}
