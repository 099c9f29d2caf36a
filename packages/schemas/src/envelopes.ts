import { Type, type TSchema } from 'typebox'

/** `{data: T}`: how every single resource is returned. */
export const Data = <T extends TSchema>(data: T) => Type.Object({ data })

export const PageMeta = Type.Object({
  total: Type.Integer(),
  page: Type.Integer(),
  limit: Type.Integer(),
  totalPages: Type.Integer(),
})

/** `{data: T[], meta: {total, page, limit, totalPages}}`: how every list is returned. */
export const Page = <T extends TSchema>(item: T) => Type.Object({ data: Type.Array(item), meta: PageMeta })

export const ErrorEnvelope = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }, { additionalProperties: true }))),
  }),
  requestId: Type.String(),
})

export const MAX_PAGE_SIZE = 100

/** Pagination as the spec has it: strings of positive integers; limit at most MAX_PAGE_SIZE. */
export const PageQuery = {
  page: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,8}$', description: 'must be a positive integer such as "1"' })),
  limit: Type.Optional(Type.String({ pattern: '^(100|[1-9][0-9]?)$', description: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })),
}

/** Response schemas for the error statuses a route can answer with, all in the one envelope. */
export const errorResponses = <const Code extends number>(...codes: Code[]) =>
  Object.fromEntries(codes.map((code) => [code, ErrorEnvelope])) as { [K in Code]: typeof ErrorEnvelope }
