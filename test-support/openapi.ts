/** Reading a service's OpenAPI document (GET /docs/json) in tests. */

type Schema = Record<string, unknown>
export type Operation = {
  summary?: string
  description?: string
  security?: Record<string, string[]>[]
  parameters?: { name: string; in: string; schema?: Schema }[]
  requestBody?: { required?: boolean; content: Record<string, { schema?: Schema }> }
}
export type OpenApiDocument = {
  paths: Record<string, Record<string, Operation>>
  components?: { schemas?: Record<string, Schema>; securitySchemes?: Record<string, Schema> }
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'])

/** Every operation as `{name: 'POST /api/experiments/{id}/start', operation}`. */
export const operationsOf = (doc: OpenApiDocument) =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.has(method))
      .map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
  )

/** The values a schema allows when it allows a fixed set (enum, const, or anyOf of those), else undefined. */
const fixedValues = (schema: Schema): unknown[] | undefined => {
  if (Array.isArray(schema.enum)) return schema.enum
  if ('const' in schema) return [schema.const]
  if (!Array.isArray(schema.anyOf)) return undefined
  const literals = (schema.anyOf as Schema[]).filter((branch) => branch.type !== 'null').map(fixedValues)
  return literals.length > 0 && literals.every((values) => values !== undefined) ? literals.flat() : undefined
}

/**
 * Every request input that takes a fixed set of values, as `{input: 'GET /api/experiments query
 * status', values}` (body fields by JSON pointer: `POST /api/experiments body /type`), from path,
 * query and header parameters and JSON bodies, nested objects and arrays included.
 */
export const fixedValueInputs = (doc: OpenApiDocument) => {
  const found: { input: string; values: unknown[] }[] = []
  const resolve = (schema: Schema): Schema => {
    const ref = schema.$ref
    return typeof ref === 'string' ? resolve(doc.components?.schemas?.[ref.replace('#/components/schemas/', '')] ?? {}) : schema
  }
  const walk = (raw: Schema | undefined, input: string, pointer: string) => {
    if (!raw) return
    const schema = resolve(raw)
    const values = fixedValues(schema)
    if (values) return void found.push({ input: `${input}${pointer}`, values })
    for (const [name, property] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) walk(property, input, `${pointer}/${name}`)
    if (schema.items && typeof schema.items === 'object') walk(schema.items as Schema, input, `${pointer}/0`)
    if (schema.additionalProperties && typeof schema.additionalProperties === 'object') walk(schema.additionalProperties as Schema, input, `${pointer}/*`)
    for (const branch of (schema.anyOf ?? schema.oneOf ?? []) as Schema[]) walk(branch, input, pointer)
  }
  for (const { name, operation } of operationsOf(doc)) {
    for (const parameter of operation.parameters ?? []) walk(parameter.schema, `${name} ${parameter.in} ${parameter.name}`, '')
    for (const media of Object.values(operation.requestBody?.content ?? {})) walk(media.schema, `${name} body `, '')
  }
  return found
}
