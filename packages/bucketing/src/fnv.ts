/**
 * FNV-1a, 32-bit, fed with UTF-16 code units (what `String.prototype.charCodeAt`
 * returns), which is how GrowthBook's JavaScript SDK hashes strings.
 *
 * The state is kept as a signed 32-bit integer between steps; `>>> 0` turns it
 * into the unsigned result.
 */

/** FNV-1a 32-bit offset basis (2166136261). */
export const FNV_OFFSET_BASIS = 0x811c9dc5
/** FNV 32-bit prime (16777619). */
export const FNV_PRIME = 0x01000193

/** Feeds every UTF-16 code unit of `text` into an FNV-1a state, e.g. `fnv1aUpdate(FNV_OFFSET_BASIS, 'a') >>> 0 === 0xe40c292c`. */
export function fnv1aUpdate(state: number, text: string): number {
  let h = state
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME)
  }
  return h
}

/** Unsigned FNV-1a 32-bit hash of a string's UTF-16 code units, e.g. `fnv1a32('foobar') === 0xbf9cf968`. */
export function fnv1a32(text: string): number {
  return fnv1aUpdate(FNV_OFFSET_BASIS, text) >>> 0
}

// Scratch space for the decimal digits of a uint32 (at most 10 digits).
const digits = new Uint8Array(10)

/** FNV-1a of the decimal form of an unsigned 32-bit integer without building the string, e.g. `fnv1a32Decimal(42) === fnv1a32('42')`. */
export function fnv1a32Decimal(n: number): number {
  let rest = n >>> 0
  let len = 0
  do {
    digits[len++] = rest % 10
    rest = Math.floor(rest / 10)
  } while (rest > 0)
  let h = FNV_OFFSET_BASIS
  while (len > 0) {
    h = Math.imul(h ^ (48 + (digits[--len] as number)), FNV_PRIME)
  }
  return h >>> 0
}
