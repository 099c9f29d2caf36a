export { redisKeys, CONFIG_CHANNEL, SDK_KEYS_CHANNEL, ASSIGNMENT_STREAM_GROUP } from './redis-keys.js'
export { AssignmentConfig } from './assignment-config.js'
export { QUEUE, QUEUE_PREFIX, CONVERSION_BACKOFF, CONVERSION_JOB_OPTIONS, codedFailure, jobFailureOf } from './queues.js'
export { ConversionJob, ComputeJob, toConversionJob, conversionColumns, type ConversionColumns } from './jobs.js'
export { configPublisher, finalConfig, type ConfigPublisher } from './config-publisher.js'
export {
  EXPERIMENT_STATUSES,
  LIVE_STATUSES,
  FINAL_STATUSES,
  isLive,
  isFinal,
  TRANSITIONS,
  LIFECYCLE_ACTIONS,
  ASSIGNMENT_REASONS,
  METRIC_PATTERN,
  DEFAULT_METRIC,
  DEFAULT_CONFIDENCE_LEVEL,
  type ExperimentStatus,
  type LiveStatus,
  type FinalStatus,
  type LifecycleAction,
  type AssignmentReason,
} from './experiment.js'
export {
  ERROR_CODES,
  isErrorCode,
  AppError,
  ValidationFailed,
  Unauthorized,
  Forbidden,
  ExperimentNotFound,
  AudienceNotFound,
  SdkConnectionNotFound,
  SdkClientKeyNotFound,
  IllegalTransition,
  NotInDraft,
  AudienceInUse,
  UnsupportedMediaType,
  BacklogFull,
  ServiceUnavailable,
  type ErrorCode,
  type ErrorDetail,
} from './errors.js'
export { literalUnion } from './literal-union.js'
export {
  conversionShard,
  conversionShards,
  conversionShardOfPrefix,
  CONVERSION_SHARD_REGISTRY,
  CONVERSION_SHARD_ANNOUNCE_MS,
  CONVERSION_SHARD_RETIRE_MS,
  shardsByMaster,
  type ConversionShard,
} from './conversion-shards.js'
