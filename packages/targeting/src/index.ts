export { evaluateConditions } from './evaluate.js'
export { validateConditions } from './validate.js'
export { MAX_CONDITION_BYTES, MAX_CONDITION_DEPTH, MAX_REGEX_LENGTH } from './limits.js'
export type { ConditionIssue, ConditionObject, JsonPrimitive, JsonValue, TypeName } from './types.js'
