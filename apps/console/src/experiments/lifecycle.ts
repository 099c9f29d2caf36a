import type { Experiment, ExperimentStatus } from '../api/types.js'

export type LifecycleAction = 'start' | 'stop' | 'complete' | 'archive'

type ActionText = { label: string; title: string; consequence: string; done: string; danger: boolean }

/** The actions the API allows from each status (packages/contracts TRANSITIONS; archiving from any but archived). */
const ALLOWED: Record<ExperimentStatus, LifecycleAction[]> = {
  draft: ['start', 'archive'],
  running: ['stop', 'complete', 'archive'],
  stopped: ['start', 'complete', 'archive'],
  completed: ['archive'],
  archived: [],
}

export const actionsFor = (status: ExperimentStatus) => ALLOWED[status]

/** What each action is called and what it does, for its button and its confirmation. */
export const describeAction = (action: LifecycleAction, status: ExperimentStatus): ActionText => {
  switch (action) {
    case 'start':
      return status === 'stopped'
        ? {
            label: 'Restart',
            title: 'Restart this experiment?',
            consequence: 'Restarting reopens enrolment: new users are assigned again by the splits, and users already in keep their variant.',
            done: 'Experiment restarted.',
            danger: false,
          }
        : {
            label: 'Start',
            title: 'Start this experiment?',
            consequence:
              'Starting opens enrolment: users are assigned to variants by their splits from now on. The variants, splits and audience can no longer be edited.',
            done: 'Experiment started.',
            danger: false,
          }
    case 'stop':
      return {
        label: 'Stop',
        title: 'Stop this experiment?',
        consequence: 'Stopping closes enrolment: users already in keep their variant; new users get none. You can restart it later.',
        done: 'Experiment stopped: enrolment is closed.',
        danger: false,
      }
    case 'complete':
      return {
        label: 'Complete',
        title: 'Complete this experiment?',
        consequence: 'Completing ends it for good: nobody gets a variant any more, the results become final, and it cannot be restarted.',
        done: 'Experiment completed.',
        danger: true,
      }
    case 'archive':
      return {
        label: 'Archive',
        title: 'Archive this experiment?',
        consequence:
          'Archiving withdraws it from assignment at once and hides it from the list (filter by "archived" to find it). Its data is kept; it cannot be brought back.',
        done: 'Experiment archived.',
        danger: true,
      }
  }
}

/** The request that performs `action`; answers with the experiment as it now is. */
export const actionRequest = (action: LifecycleAction, id: string): { method: 'POST' | 'DELETE'; path: string } =>
  action === 'archive'
    ? { method: 'DELETE', path: `/api/experiments/${encodeURIComponent(id)}` }
    : { method: 'POST', path: `/api/experiments/${encodeURIComponent(id)}/${action}` }

export type ExperimentAnswer = { data: Experiment }
