import { MAX_PAGE_SIZE } from '@experiments/schemas'

const DEFAULT_PAGE_SIZE = 20

/** Page and limit from the query strings (already validated as positive integers). */
export const pageWindow = (query: { page?: string; limit?: string }) => {
  const page = query.page ? Number(query.page) : 1
  const limit = Math.min(query.limit ? Number(query.limit) : DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
  return { page, limit, offset: (page - 1) * limit }
}

export const pageMeta = (total: number, page: number, limit: number) => ({
  total,
  page,
  limit,
  totalPages: Math.ceil(total / limit),
})
