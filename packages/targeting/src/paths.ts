import { BoundedCache } from './bounded-cache.js'
import { CACHE_ENTRIES } from './limits.js'

const splitPaths = new BoundedCache<string, readonly string[]>(CACHE_ENTRIES)

function segments(path: string): readonly string[] {
  let parts = splitPaths.get(path)
  if (parts === undefined) {
    parts = path.split('.')
    splitPaths.set(path, parts)
  }
  return parts
}

// Own properties only (GrowthBook uses `in`): an inherited name such as "constructor" is not an attribute.
function hasStep(container: unknown, key: string): container is Record<string, unknown> {
  return container !== null && typeof container === 'object' && Object.hasOwn(container, key)
}

/**
 * The value at a dotted path into nested objects (array indexes and `length` work too),
 * or null as soon as a step is missing or not an object.
 * E.g. `valueAtPath({ a: { b: 1 } }, 'a.b') === 1`, `valueAtPath({}, 'a.b') === null`.
 */
export function valueAtPath(root: unknown, path: string): unknown {
  if (path.indexOf('.') === -1) return hasStep(root, path) ? root[path] : null
  const parts = segments(path)
  let current = root
  for (let i = 0; i < parts.length; i++) {
    const key = parts[i] as string
    if (!hasStep(current, key)) return null
    current = current[key]
  }
  return current
}
