export type JsonPrimitive = string | number | boolean | null

export type JsonValue = JsonPrimitive | readonly JsonValue[] | { readonly [key: string]: JsonValue }

/**
 * Targeting conditions in GrowthBook's grammar: keys are dotted attribute paths
 * or the logical operators `$and`, `$or`, `$nor`, `$not`.
 */
export type ConditionObject = { readonly [pathOrOperator: string]: JsonValue }

/** One problem found by `validateConditions`; `path` is a JSON pointer into the conditions object. */
export type ConditionIssue = { path: string; message: string }

/** Names `$type` accepts. */
export type TypeName = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'null' | 'undefined'
