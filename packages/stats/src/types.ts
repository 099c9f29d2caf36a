/** Observed counts for one variant. */
export interface VariantInput {
  variantId: string
  variantName: string
  /** Users exposed to the variant (non-negative integer). */
  sampleSize: number
  /** Users who converted (integer, 0 ≤ conversions ≤ sampleSize). */
  conversions: number
  /** Intended share of traffic; shares are normalised by their sum, so percentages or weights both work. */
  splitPercentage: number
}

export interface AnalyzeInput {
  variants: readonly VariantInput[]
  /** Defaults to the first variant. */
  controlVariantId?: string | null
  /** Between 0.8 and 0.999; defaults to 0.95. */
  confidenceLevel?: number | null
}

/** Closed interval [low, high]. */
export type Interval = [low: number, high: number]

export interface VariantAnalysis {
  variantId: string
  variantName: string
  isControl: boolean
  sampleSize: number
  conversions: number
  conversionRate: number
  conversionRateInterval: Interval
  /** The fields below compare against the control and are null on the control itself. */
  absoluteLift: number | null
  absoluteLiftInterval: Interval | null
  relativeLift: number | null
  relativeLiftInterval: Interval | null
  pValue: number | null
  adjustedPValue: number | null
  significant: boolean | null
  probabilityToBeatControl: number | null
}

export interface SrmResult {
  /** Null when a variant with a 0 split received users (the statistic is infinite). */
  chiSquare: number | null
  pValue: number
  detected: boolean
}

export interface AnalyzeResult {
  controlVariantId: string
  confidenceLevel: number
  /** Null when no variant has participants. */
  srm: SrmResult | null
  variants: VariantAnalysis[]
}
