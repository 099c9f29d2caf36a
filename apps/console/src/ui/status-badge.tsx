import type { ExperimentStatus } from '../api/types.js'

export const StatusBadge = ({ status }: { status: ExperimentStatus }) => <span class={`badge badge-${status}`}>{status}</span>
