import { Type, type TLiteral, type TUnion } from 'typebox'

type Literals<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K] & string> }

/**
 * The TypeBox schema of one of `values` (`{anyOf: [{const}, …]}`), typed as their union, so a
 * schema is derived from a list of words rather than spelling them again.
 * @example literalUnion(EXPERIMENT_STATUSES) // Static: 'draft' | 'running' | …
 */
export const literalUnion = <const T extends readonly string[]>(values: T): TUnion<Literals<T>> =>
  Type.Union(values.map((value) => Type.Literal(value))) as TUnion<Literals<T>>
