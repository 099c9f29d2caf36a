import { formatCount } from '../format.js'

type Props = { page: number; totalPages: number; total: number; noun: string; hrefOf: (page: number) => string }

/** Previous and next links with where the list stands: "Page 2 of 5 · 93 experiments". */
export const Pagination = ({ page, totalPages, total, noun, hrefOf }: Props) => (
  <nav class="pagination" aria-label="Pagination">
    {page > 1 ? (
      <a class="button" href={hrefOf(page - 1)} rel="prev">
        Previous
      </a>
    ) : (
      <span class="button" aria-disabled="true">
        Previous
      </span>
    )}
    <span>
      Page {formatCount(page)} of {formatCount(Math.max(totalPages, 1))} · {formatCount(total)} {noun}
    </span>
    {page < totalPages ? (
      <a class="button" href={hrefOf(page + 1)} rel="next">
        Next
      </a>
    ) : (
      <span class="button" aria-disabled="true">
        Next
      </span>
    )}
  </nav>
)
