import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, extname, join, relative, sep } from 'node:path'

export type ConsoleFile = { body: Buffer; contentType: string; cacheControl: string; etag: string }

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
}

/** Asset names carry a hash of their content (apps/console/build.mjs), so a name never changes meaning. */
const IMMUTABLE = 'public, max-age=31536000, immutable'
/** index.html names the current assets: browsers revalidate it (ETag) on every load. */
const REVALIDATE = 'no-cache'

/** Where `npm run build` writes the console (apps/console/dist), found through its workspace link; null without the package. */
export const consoleDistDir = (): string | null => {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@experiments/console/package.json')), 'dist')
  } catch {
    return null
  }
}

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : []
  })

/**
 * The built console, read once: each file by the URL path it is served at (`/` is index.html).
 * Null when it has not been built. Requests are answered from this map only, so no URL can reach
 * another file.
 */
export const readConsoleFiles = (dir: string | null): Map<string, ConsoleFile> | null => {
  if (dir === null || !existsSync(join(dir, 'index.html'))) return null
  const files = new Map<string, ConsoleFile>()
  for (const path of filesUnder(dir)) {
    const urlPath = `/${relative(dir, path).split(sep).join('/')}`
    const body = readFileSync(path)
    files.set(urlPath, {
      body,
      contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
      cacheControl: urlPath.startsWith('/assets/') ? IMMUTABLE : REVALIDATE,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    })
  }
  files.set('/', files.get('/index.html')!)
  return files
}
