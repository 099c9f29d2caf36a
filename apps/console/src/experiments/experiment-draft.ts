import type { Experiment } from '../api/types.js'
import type { ErrorDetail } from '../api/client.js'

/** A variant as its form row holds it: the inputs' text. */
export type VariantDraft = { key: number; id?: string; name: string; split: string; flowId: string; config: string }
/** An experiment as the form holds it: the inputs' text. */
export type ExperimentDraft = { name: string; description: string; audienceId: string; endDate: string; seed: string; variants: VariantDraft[] }

let nextKey = 0
/** A fresh key per row, so removing a row keeps the others' inputs and focus. */
export const newVariant = (fields: Partial<VariantDraft> = {}): VariantDraft => ({ key: nextKey++, name: '', split: '', flowId: '', config: '', ...fields })

export const emptyDraft = (): ExperimentDraft => ({
  name: '',
  description: '',
  audienceId: '',
  endDate: '',
  seed: '',
  variants: [newVariant({ name: 'Control', split: '50' }), newVariant({ name: 'Treatment', split: '50' })],
})

const pad = (n: number) => String(n).padStart(2, '0')
/** An instant as a datetime-local input shows it: the viewer's wall-clock time. */
const toLocalInput = (iso: string) => {
  const d = new Date(iso)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

export const draftOf = (experiment: Experiment): ExperimentDraft => ({
  name: experiment.name,
  description: experiment.description ?? '',
  audienceId: experiment.audienceId ?? '',
  endDate: experiment.endDate ? toLocalInput(experiment.endDate) : '',
  seed: experiment.seed,
  variants: experiment.variants.map((v) =>
    newVariant({
      id: v.id,
      name: v.name,
      split: String(v.splitPercentage),
      flowId: v.flowId ?? '',
      config: Object.keys(v.config).length ? JSON.stringify(v.config, null, 2) : '',
    }),
  ),
})

/** The sum of the splits that are numbers, for the running total beside the inputs. */
export const splitTotal = (draft: ExperimentDraft) => draft.variants.reduce((sum, v) => sum + (v.split.trim() === '' ? 0 : Number(v.split) || 0), 0)

/**
 * The request body for the draft, or the problems only the console can see (a config that is not
 * JSON, an end date that is not a date), as the API would word them: the API checks everything else.
 */
export const bodyOf = (draft: ExperimentDraft, mode: 'create' | 'edit'): { body: Record<string, unknown> } | { problems: ErrorDetail[] } => {
  const problems: ErrorDetail[] = []
  const variants = draft.variants.map((v, index) => {
    let config: unknown = {}
    if (v.config.trim() !== '') {
      try {
        config = JSON.parse(v.config)
      } catch (error) {
        problems.push({ path: `/variants/${index}/config`, message: `config is not valid JSON: ${(error as Error).message}` })
      }
    }
    return {
      ...(v.id ? { id: v.id } : {}),
      name: v.name,
      // An empty or unreadable number goes as null, and the API says what it must be.
      splitPercentage: v.split.trim() === '' || Number.isNaN(Number(v.split)) ? null : Number(v.split),
      flowId: v.flowId.trim() === '' ? null : v.flowId,
      config,
    }
  })
  let endDate: string | null = null
  if (draft.endDate !== '') {
    const moment = new Date(draft.endDate)
    if (Number.isNaN(moment.getTime())) problems.push({ path: '/endDate', message: 'endDate is not a date and time' })
    else endDate = moment.toISOString()
  }
  if (problems.length) return { problems }
  return {
    body: {
      name: draft.name,
      description: draft.description.trim() === '' ? null : draft.description,
      audienceId: draft.audienceId === '' ? null : draft.audienceId,
      endDate,
      ...(mode === 'create' && draft.seed.trim() !== '' ? { seed: draft.seed } : {}),
      variants,
    },
  }
}

/** The JSON pointers the form shows errors at. */
export const fieldPointers = (draft: ExperimentDraft) => [
  '/name',
  '/description',
  '/audienceId',
  '/endDate',
  '/seed',
  '/variants',
  ...draft.variants.flatMap((_, i) => [`/variants/${i}`, ...['name', 'splitPercentage', 'flowId', 'config'].map((f) => `/variants/${i}/${f}`)]),
]
