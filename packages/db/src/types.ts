import type { ExperimentStatus } from '@experiments/contracts'
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type Json<T> = ColumnType<T, string, string>

export interface AudiencesTable {
  id: string
  tenant_id: string
  name: string
  description: string | null
  conditions: Json<Record<string, unknown>>
  created_at: Timestamp
  updated_at: Timestamp
  deleted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
}

export interface ExperimentsTable {
  id: string
  tenant_id: string
  name: string
  description: string | null
  type: string
  status: ExperimentStatus
  audience_id: string | null
  seed: string
  start_date: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  end_date: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface VariantsTable {
  id: string
  experiment_id: string
  position: number
  name: string
  split_basis_points: number
  flow_id: string | null
  config: Json<Record<string, unknown>>
}

export interface AssignmentsTable {
  experiment_id: string
  user_id: string
  variant_id: string
  assigned_at: Timestamp
}

export interface VariantParticipantsTable {
  experiment_id: string
  variant_id: string
  participants: ColumnType<number, number | undefined, number>
  updated_at: Timestamp
}

type Count = ColumnType<number, number | undefined, number>

export interface ConversionsTable {
  tenant_id: string
  event_id: string
  experiment_id: string
  user_id: string
  metric: string
  value: number
  occurred_at: Timestamp
  received_at: Timestamp
  variant_id: string | null
  attribution: 'attributed' | 'not_assigned' | 'before_assignment'
}

export interface MetricAggregatesTable {
  experiment_id: string
  variant_id: string
  metric: string
  events: Count
  converters: Count
  value_sum: Count
  value_sum_squares: Count
}

export interface UnattributedAggregatesTable {
  experiment_id: string
  metric: string
  not_assigned: Count
  before_assignment: Count
}

export interface ResultSnapshotsTable {
  id: string
  experiment_id: string
  created_at: Timestamp
  metric: string
  options: Json<Record<string, unknown>>
  inputs: Json<Record<string, unknown>>
  method: string
  engine_version: string
  result: Json<Record<string, unknown>>
}

export interface SdkConnectionsTable {
  id: string
  tenant_id: string
  name: string
  /** Public and unguessable: what an SDK sends to fetch the tenant's running experiments. */
  client_key: string
  created_at: Timestamp
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
}

export interface DB {
  audiences: AudiencesTable
  experiments: ExperimentsTable
  variants: VariantsTable
  assignments: AssignmentsTable
  variant_participants: VariantParticipantsTable
  conversions: ConversionsTable
  converters: { experiment_id: string; metric: string; user_id: string }
  metric_aggregates: MetricAggregatesTable
  unattributed_aggregates: UnattributedAggregatesTable
  result_snapshots: ResultSnapshotsTable
  sweep_positions: { name: string; swept_until: Timestamp; updated_at: Generated<Timestamp> }
  sdk_connections: SdkConnectionsTable
}

export type AudienceRow = Selectable<AudiencesTable>
export type ExperimentRow = Selectable<ExperimentsTable>
export type VariantRow = Selectable<VariantsTable>
export type SdkConnectionRow = Selectable<SdkConnectionsTable>
export type NewExperiment = Insertable<ExperimentsTable>
export type ExperimentUpdate = Updateable<ExperimentsTable>
export type { Generated }
