// The API's resources as the console reads them (packages/schemas has the authoritative schemas).

export type ExperimentStatus = 'draft' | 'running' | 'stopped' | 'completed' | 'archived'
export const EXPERIMENT_STATUSES: readonly ExperimentStatus[] = ['draft', 'running', 'stopped', 'completed', 'archived']

export type Page<T> = { data: T[]; meta: { total: number; page: number; limit: number; totalPages: number } }

export type Variant = { id: string; name: string; splitPercentage: number; flowId: string | null; config: Record<string, unknown> }

export type Experiment = {
  id: string
  name: string
  description: string | null
  type: string
  status: ExperimentStatus
  audienceId: string | null
  seed: string
  startDate: string | null
  endDate: string | null
  createdAt: string
  updatedAt: string
  _count: { assignments: number }
  variants: Variant[]
}

/** A list item: variants without their configs. */
export type ExperimentSummary = Omit<Experiment, 'variants'> & { variants: Omit<Variant, 'config'>[] }

export type Audience = {
  id: string
  name: string
  description: string | null
  conditions: Record<string, unknown>
  createdAt: string
  updatedAt: string
}

export type MetricCounts = { metric: string; conversions: number; events: number; totalValue: number }

export type RawResults = {
  experimentId: string
  name: string
  status: ExperimentStatus
  startDate: string | null
  endDate: string | null
  variants: { variantId: string; variantName: string; splitPercentage: number; participants: number; results: MetricCounts[] }[]
  unattributed: { metric: string; notAssigned: number; beforeAssignment: number }[]
  exposureMismatches: number | null
  exposureMismatchesUnavailable?: string
}

export type Interval = [number, number]

export type ComputedVariant = {
  variantId: string
  variantName: string
  isControl: boolean
  sampleSize: number
  conversions: number
  conversionRate: number
  conversionRateInterval: Interval
  absoluteLift: number | null
  absoluteLiftInterval: Interval | null
  relativeLift: number | null
  relativeLiftInterval: Interval | null
  pValue: number | null
  adjustedPValue: number | null
  significant: boolean | null
  probabilityToBeatControl: number | null
}

export type ComputedResults = {
  experimentId: string
  snapshotId: string
  controlVariantId: string
  confidenceLevel: number
  srm: { chiSquare: number; pValue: number; detected: boolean } | null
  variants: ComputedVariant[]
}

export type ComputeOptions = { metric: string; confidenceLevel: number; controlVariantId?: string }

export type Snapshot = {
  id: string
  experimentId: string
  createdAt: string
  metric: string
  options: { metric?: string; confidenceLevel?: number; controlVariantId?: string | null }
  inputs: Record<string, unknown>
  method: string
  engineVersion: string
  result: ComputedResults
}
