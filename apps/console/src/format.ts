// Numbers and times as the viewer's locale writes them; times in the viewer's zone.

const count = new Intl.NumberFormat(undefined)
const percent = new Intl.NumberFormat(undefined, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 2 })
const signedPercent = new Intl.NumberFormat(undefined, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 2, signDisplay: 'exceptZero' })
const wholeSignedPercent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 0, signDisplay: 'exceptZero' })
const level = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 })
const probability = new Intl.NumberFormat(undefined, { maximumSignificantDigits: 3 })
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 })
const signedPoints = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 2, signDisplay: 'exceptZero' })
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

/** A count with thousands separators: 12,345. */
export const formatCount = (value: number) => count.format(value)
/** A number with at most two decimals: a split percentage, a chi-square. */
export const formatDecimal = (value: number) => decimal.format(value)
/** A share as a percentage: 0.183 → 18.3 %. */
export const formatPercent = (value: number) => percent.format(value)
/** A lift as a signed percentage: +4.2 %, −1.5 %. */
export const formatSignedPercent = (value: number) => signedPercent.format(value)
/** A lift rounded to a whole percentage, for axis ticks: +20 %. */
export const formatSignedWholePercent = (value: number) => wholeSignedPercent.format(value)
/** A confidence level: 95 %, 99.9 %. */
export const formatLevel = (value: number) => level.format(value)
/** A difference of two rates in percentage points: 0.021 → +2.1 pp. */
export const formatSignedPoints = (value: number) => `${signedPoints.format(value * 100)} pp`
/** A p-value or probability with three significant digits; below 0.001 as "< 0.001". */
export const formatProbability = (value: number) => (value > 0 && value < 0.001 ? `< ${probability.format(0.001)}` : probability.format(value))
/** An interval of two values in one format: "12.1 % to 18.4 %". */
export const formatInterval = ([low, high]: readonly number[], format: (value: number) => string) =>
  low === undefined || high === undefined ? '' : `${format(low)} to ${format(high)}`

/** A moment in the viewer's zone: "5 Dec 2026, 10:15". */
export const formatDateTime = (moment: Date | string) => dateTime.format(new Date(moment))
/** A moment as UTC ISO 8601, for a title attribute beside the local time. */
export const toUtcIso = (moment: Date | string) => new Date(moment).toISOString()
