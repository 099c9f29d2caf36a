// Deliberately naive reference implementations for cross-checking: textbook
// FNV-1a over an explicit list of UTF-16 code units, computed with BigInt, and
// the two hash versions written with plain string concatenation.

const MOD = 2n ** 32n

export function referenceFnv1a32(text: string): number {
  let h = 2166136261n
  for (let i = 0; i < text.length; i++) {
    h = ((h ^ BigInt(text.charCodeAt(i))) * 16777619n) % MOD
  }
  return Number(h)
}

export function referenceHash(seed: string, value: string, version: number): number | null {
  if (version === 1) return (referenceFnv1a32(value + seed) % 1000) / 1000
  if (version === 2) return (referenceFnv1a32(String(referenceFnv1a32(seed + value))) % 10000) / 10000
  return null
}
