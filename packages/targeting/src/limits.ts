/** Deepest allowed nesting of objects and arrays in a condition; the root object is level 1. */
export const MAX_CONDITION_DEPTH = 10

/** Largest allowed condition: UTF-8 bytes of its `JSON.stringify` form (16 KiB). */
export const MAX_CONDITION_BYTES = 16384

/** Longest allowed `$regex` / `$regexi` pattern, in JavaScript string length. */
export const MAX_REGEX_LENGTH = 1000

/** Entries kept by each internal cache (compiled regexes, split paths, padded versions). */
export const CACHE_ENTRIES = 1000
