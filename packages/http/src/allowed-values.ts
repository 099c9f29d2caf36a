/** An Ajv error as the error handler reads it (verbose: `schema` is the failing keyword's value). */
export type AjvValidationError = {
  instancePath: string
  schemaPath: string
  message?: string
  keyword: string
  params: Record<string, unknown>
  schema?: unknown
  parentSchema?: { description?: string }
}

/** The values a union of literals allows (`[{const}, {enum}, {type: 'null'}, …]`), or undefined when a branch is anything else. */
const literalsOf = (branches: unknown): unknown[] | undefined => {
  if (!Array.isArray(branches) || branches.length === 0) return undefined
  const values: unknown[] = []
  for (const branch of branches as Record<string, unknown>[]) {
    if (branch === null || typeof branch !== 'object') return undefined
    if ('const' in branch) values.push(branch.const)
    else if (Array.isArray(branch.enum)) values.push(...branch.enum)
    else if (branch.type === 'null' && Object.keys(branch).length === 1) values.push(null)
    else return undefined
  }
  return values
}

const word = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value))

/** "must be one of draft, running, …", or "must be ab_test" when one value is allowed. */
export const allowedValuesMessage = (values: readonly unknown[]) =>
  values.length === 1 ? `must be ${word(values[0])}` : `must be one of ${values.map(word).join(', ')}`

/**
 * Words a value outside a fixed set once, naming the allowed values. Ajv reports a union of
 * literals (TypeBox's `Type.Union([Type.Literal(…), …])`, `{anyOf: [{const}, …]}`) as one "must be
 * equal to constant" per literal and then "must match a schema in anyOf"; those become one error
 * "must be one of a, b, c". An `enum` ("must be equal to one of the allowed values") and a lone
 * `const` ("must be equal to constant", with its `type` error beside it when the value's type differs
 * too) are worded the same way. Other errors pass unchanged.
 * Needs Ajv's `verbose` (the anyOf error then carries its branches).
 */
export const foldAllowedValues = <E extends AjvValidationError>(errors: readonly E[]): E[] => {
  const unions = errors.flatMap((error) => {
    const values = error.keyword === 'anyOf' ? literalsOf(error.schema) : undefined
    return values ? [{ error, values }] : []
  })
  const branchOfUnion = (error: E) =>
    unions.some(({ error: union }) => error !== union && error.instancePath === union.instancePath && error.schemaPath.startsWith(`${union.schemaPath}/`))
  // TypeBox's Literal is `{type, const}`: a value of another type fails both; the const says it all.
  const parentOf = (error: E) => error.schemaPath.slice(0, error.schemaPath.lastIndexOf('/'))
  const fixed = errors.filter((e) => e.keyword === 'const' || e.keyword === 'enum')
  const typeOfFixed = (error: E) => error.keyword === 'type' && fixed.some((f) => f.instancePath === error.instancePath && parentOf(f) === parentOf(error))
  return errors.flatMap((error): E[] => {
    const union = unions.find((u) => u.error === error)
    if (union) return [{ ...error, keyword: 'enum', params: { allowedValues: union.values }, message: allowedValuesMessage(union.values) }]
    if (branchOfUnion(error) || typeOfFixed(error)) return []
    if (error.keyword === 'enum' && Array.isArray(error.params.allowedValues)) return [{ ...error, message: allowedValuesMessage(error.params.allowedValues) }]
    if (error.keyword === 'const' && 'allowedValue' in error.params) return [{ ...error, message: allowedValuesMessage([error.params.allowedValue]) }]
    return [error]
  })
}
