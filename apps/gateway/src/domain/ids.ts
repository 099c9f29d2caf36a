import { randomBytes } from 'node:crypto'

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz'

/** A random id such as `exp_3kf93j…`: 16 base-36 characters, about 82 bits. */
export const newId = (prefix: 'exp' | 'var' | 'aud' | 'sdk'): string => {
  const bytes = randomBytes(16)
  let id = `${prefix}_`
  for (const byte of bytes) id += ALPHABET[byte % 36]
  return id
}
