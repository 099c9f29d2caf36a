/**
 * Tokens already verified, by their exact text, until they expire: verifying a JWT costs more than
 * the rest of an assignment request, and clients send the same token on every request. Bounded;
 * the oldest entry goes first.
 */
export const verifiedTokens = <T extends { expiresAt: number }>(maxEntries = 10_000) => {
  const entries = new Map<string, T>()
  return {
    get: (token: string, now = Date.now()): T | undefined => {
      const entry = entries.get(token)
      if (entry && entry.expiresAt <= now) {
        entries.delete(token)
        return undefined
      }
      return entry
    },
    set: (token: string, value: T) => {
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!)
      entries.set(token, value)
    },
  }
}
