import { describe, expect, it } from 'vitest'
import {
  EXPERIMENT_STATUSES,
  FINAL_STATUSES,
  isFinal,
  isLive,
  LIFECYCLE_ACTIONS,
  LIVE_STATUSES,
  TRANSITIONS,
  type ExperimentStatus,
  type LifecycleAction,
} from '../src/index.js'

describe('isLive and isFinal', () => {
  it.each([
    ['draft', false, false],
    ['running', true, false],
    ['stopped', true, false],
    ['completed', false, true],
    ['archived', false, true],
  ] as const)('%s: live %s, final %s', (status, live, final) => {
    expect(isLive(status)).toBe(live)
    expect(isFinal(status)).toBe(final)
  })

  it('are false for what is no status, as a missing Redis status key reads', () => {
    for (const text of ['', 'paused', 'Running', 'constructor']) {
      expect(isLive(text)).toBe(false)
      expect(isFinal(text)).toBe(false)
    }
  })

  it('agree with the lists, which are part of the statuses and do not overlap', () => {
    expect(EXPERIMENT_STATUSES.filter(isLive)).toEqual(LIVE_STATUSES)
    expect(EXPERIMENT_STATUSES.filter(isFinal)).toEqual(FINAL_STATUSES)
  })
})

describe('TRANSITIONS', () => {
  /** Where `action` leads from `status`, or undefined when it is an illegal transition. */
  const after = (status: ExperimentStatus, action: LifecycleAction): ExperimentStatus | undefined => {
    const { from, to } = TRANSITIONS[action]
    return (from as readonly ExperimentStatus[]).includes(status) ? to : undefined
  }

  it('has start, stop and complete as its actions', () => {
    expect(LIFECYCLE_ACTIONS).toEqual(['start', 'stop', 'complete'])
  })

  it.each([
    ['draft', { start: 'running', stop: undefined, complete: undefined }],
    ['running', { start: undefined, stop: 'stopped', complete: 'completed' }],
    ['stopped', { start: 'running', stop: undefined, complete: 'completed' }],
    ['completed', { start: undefined, stop: undefined, complete: undefined }],
    ['archived', { start: undefined, stop: undefined, complete: undefined }],
  ] as const)('from %s leads to %o', (status, expected) => {
    expect(Object.fromEntries(LIFECYCLE_ACTIONS.map((action) => [action, after(status, action)]))).toEqual(expected)
  })

  it('never leaves a final status, and completes exactly what is live', () => {
    for (const action of LIFECYCLE_ACTIONS) expect(TRANSITIONS[action].from.filter((s) => isFinal(s))).toEqual([])
    expect(TRANSITIONS.complete.from).toEqual(LIVE_STATUSES)
  })
})
