/** Appends one key to a JSON pointer, escaping `~` and `/` per RFC 6901, e.g. `pointer('/a', 'b/c') === '/a/b~1c'`. */
export function pointer(parent: string, key: string | number): string {
  const text = String(key)
  return `${parent}/${text.replace(/~/g, '~0').replace(/\//g, '~1')}`
}
