import { useEffect, useState } from 'preact/hooks'
import { formatDateTime } from '../format.js'
import { type Claims, readClaims } from './claims.js'

export type Session = { token: string; claims: Claims }
/** The signed-in token, or why there is none (shown on the sign-in page). */
export type SessionState = { session: Session | null; notice: string | null }

/** This tab only: closing it signs out, and other tabs may use other tokens. */
const STORAGE_KEY = 'experiments-console.token'
/** setTimeout's largest delay (about 24.8 days); longer-lived tokens are checked again then. */
const MAX_TIMER_MS = 2 ** 31 - 1

const listeners = new Set<() => void>()
let expiryTimer: ReturnType<typeof setTimeout> | undefined
let state: SessionState = { session: null, notice: null }

const publish = (next: SessionState) => {
  state = next
  clearTimeout(expiryTimer)
  const expiresAt = next.session?.claims.expiresAt
  if (expiresAt) {
    expiryTimer = setTimeout(
      () => {
        if (expiresAt.getTime() <= Date.now()) signOut(`Your token expired at ${formatDateTime(expiresAt)}. Sign in with a new one.`)
        else publish(state)
      },
      Math.min(expiresAt.getTime() - Date.now(), MAX_TIMER_MS),
    )
  }
  for (const listener of listeners) listener()
}

/** Keeps `input` (a token, with or without "Bearer ") for this tab; returns why it cannot be used, or null. */
export const signIn = (input: string): string | null => {
  const token = input.trim().replace(/^Bearer\s+/i, '')
  const claims = readClaims(token)
  if (!claims) return 'That is not a token: a JSON Web Token has three parts separated by dots (header.payload.signature).'
  if (claims.expiresAt && claims.expiresAt.getTime() <= Date.now()) return `That token expired at ${formatDateTime(claims.expiresAt)}.`
  sessionStorage.setItem(STORAGE_KEY, token)
  publish({ session: { token, claims }, notice: null })
  return null
}

/** Forgets the token; `notice` says why on the sign-in page. */
export const signOut = (notice: string | null = null) => {
  sessionStorage.removeItem(STORAGE_KEY)
  publish({ session: null, notice })
}

/** Signs in with the token this tab kept; one no longer usable (expired) is dropped, saying why. */
export const restoreSession = () => {
  const kept = sessionStorage.getItem(STORAGE_KEY)
  const problem = kept ? signIn(kept) : null
  if (problem) signOut(problem)
}

export const currentSession = () => state.session

/** Whether the signed-in token grants `scope`: what it may not do is not offered. */
export const can = (scope: 'experiments:read' | 'experiments:write') => state.session?.claims.scopes.has(scope) ?? false

/** The session state, re-rendering the component when it changes. */
export const useSession = (): SessionState => {
  const [current, setCurrent] = useState(state)
  useEffect(() => {
    const listener = () => setCurrent(state)
    listeners.add(listener)
    setCurrent(state)
    return () => void listeners.delete(listener)
  }, [])
  return current
}
