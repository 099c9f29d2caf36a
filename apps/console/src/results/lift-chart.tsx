import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import type { ComputedResults } from '../api/types.js'
import { formatInterval, formatLevel, formatSignedPercent, formatSignedWholePercent } from '../format.js'

type Row = { name: string; lift: number; low: number; high: number; color: string; label: string }

const colorOf = (significant: boolean | null, lift: number) => (!significant ? '#6b7280' : lift > 0 ? '#047857' : '#b91c1c')

const rowsOf = (result: ComputedResults): Row[] =>
  result.variants.flatMap((v) =>
    v.isControl || v.relativeLift === null || v.relativeLiftInterval === null
      ? []
      : [
          {
            name: v.variantName,
            lift: v.relativeLift,
            low: v.relativeLiftInterval[0],
            high: v.relativeLiftInterval[1],
            color: colorOf(v.significant, v.relativeLift),
            label: `${v.variantName}: ${formatSignedPercent(v.relativeLift)} (${formatInterval(v.relativeLiftInterval, formatSignedPercent)})`,
          },
        ],
  )

/** The chart's width follows its container, so it reads at 360 px and at 1440 px. */
const useWidth = (element: { current: HTMLElement | null }) => {
  const [width, setWidth] = useState(0)
  useEffect(() => {
    const target = element.current
    if (!target) return
    const observer = new ResizeObserver(([entry]) => entry && setWidth(Math.round(entry.contentRect.width)))
    observer.observe(target)
    return () => observer.disconnect()
  }, [element])
  return width
}

/**
 * A forest plot: each treatment's relative lift (dot) with its interval (bar) against zero (the
 * control). Green or red when significant after correction, grey otherwise. Observable Plot is
 * loaded with the first chart, not with the console.
 */
export const LiftChart = ({ result }: { result: ComputedResults }) => {
  const container = useRef<HTMLDivElement>(null)
  const width = useWidth(container)
  const [failure, setFailure] = useState<string | null>(null)
  const rows = useMemo(() => rowsOf(result), [result])
  const control = result.variants.find((v) => v.isControl)?.variantName ?? 'control'
  const level = formatLevel(result.confidenceLevel)

  useEffect(() => {
    const target = container.current
    if (!target || width === 0) return
    if (rows.length === 0) return void target.replaceChildren()
    let current = true
    import('@observablehq/plot').then(
      (Plot) => {
        if (!current) return
        const longestName = Math.max(...rows.map((r) => r.name.length))
        const chart = Plot.plot({
          width,
          height: 70 + 44 * rows.length,
          marginLeft: Math.min(16 + longestName * 7.5, width / 3),
          marginRight: 24,
          marginBottom: 48,
          style: { fontSize: '13px', background: 'transparent' },
          x: {
            label: `Relative lift vs ${control} (${level} interval)`,
            labelAnchor: 'center',
            labelOffset: 40,
            tickFormat: formatSignedWholePercent,
            ticks: Math.max(2, Math.floor(width / 120)),
            grid: true,
            nice: true,
          },
          y: { label: null, domain: rows.map((r) => r.name) },
          color: { type: 'identity' },
          marks: [
            Plot.ruleX([0], { stroke: 'currentColor', strokeOpacity: 0.7 }),
            Plot.ruleY(rows, { y: 'name', x1: 'low', x2: 'high', stroke: 'color', strokeWidth: 4, strokeLinecap: 'round' }),
            Plot.dot(rows, { x: 'lift', y: 'name', fill: 'color', stroke: 'white', r: 6, title: 'label' }),
          ],
          ariaLabel: `Relative lift of each treatment against ${control}, with its ${level} interval`,
        })
        target.replaceChildren(chart)
      },
      (error: Error) => current && setFailure(`The chart could not be drawn: ${error.message}`),
    )
    return () => {
      current = false
    }
  }, [rows, width, control, level])

  return (
    <figure class="lift-chart">
      {/* Always in the page: its width is measured before there is anything to draw. */}
      <div ref={container} class="chart" />
      {rows.length === 0 && <p class="hint">No lift to chart yet: the control needs conversions before lifts can be estimated.</p>}
      {failure && <p class="field-error">{failure}</p>}
      {rows.length > 0 && (
        <figcaption>
          Each dot is a treatment's relative lift over {control}; the bar is its {level} interval. A bar clear of the zero line is a difference the data
          supports; coloured bars are significant after the Holm correction (green better, red worse).
        </figcaption>
      )}
    </figure>
  )
}
