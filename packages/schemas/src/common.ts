import { Type } from 'typebox'

export const Timestamp = Type.String({ format: 'date-time' })
export const NullableString = (options: { minLength?: number; maxLength: number }) => Type.Union([Type.String(options), Type.Null()])

/** Largest JSON object accepted where users store free-form data (variant config, conditions). */
export const MAX_JSON_OBJECT_BYTES = 16 * 1024
/** How deeply a variant config may nest objects and arrays (the config itself is level 1). */
export const MAX_JSON_OBJECT_DEPTH = 32

export const JsonObject = Type.Record(Type.String(), Type.Unknown())

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) })

/** The body of an action that takes no options: none, or `{}` (clients that always send JSON). */
export const EmptyBody = Type.Object({}, { additionalProperties: false, description: 'no body, or {}' })
