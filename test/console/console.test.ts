/**
 * The web console in a real browser (Chromium, headless) against the real gateway and assignment
 * service listening on ports, with the analytics workers in process: sign in through the link
 * `npm start` prints, create and start an experiment, enrol users and send conversions through the
 * API, compute results, stop it; a read-only token and a refused one.
 * CONSOLE_SCREENSHOTS=1 also writes docs/console-list.png and docs/console-results.png (1440 px wide).
 */
import { existsSync, mkdirSync } from 'node:fs'
import type { DB } from '@experiments/db'
import { signToken } from '@experiments/devstack'
import type { RedisClient } from '@experiments/redis'
import type { Kysely } from 'kysely'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { aTenant, TEST_JWT_SECRET } from '../../test-support/tokens.js'
import { analytics, connect, connectDb, eventually, inParallel, startAnalyticsWorkers, startGateway, startReplica, type Replica } from '../system/system.js'

const CHROMIUM = '/usr/bin/chromium'
const haveChromium = existsSync(CHROMIUM)
const ROOT = new URL('../../', import.meta.url).pathname
const screenshots = process.env.CONSOLE_SCREENSHOTS === '1'

const tenant = aTenant()
const tokenWith = (scope: string) => signToken(TEST_JWT_SECRET, { tenantId: tenant, scope, ttlSeconds: 3600 })
const fullToken = tokenWith('experiments:read experiments:write')

let db: Kysely<DB>
let redis: RedisClient
let gateway: Awaited<ReturnType<typeof startGateway>>
let replica: Replica
let workers: Awaited<ReturnType<typeof startAnalyticsWorkers>>
let browser: Browser
let page: Page
let gatewayUrl: string
let assignmentUrl: string
let experimentId: string

const api = async (base: string, path: string, scope: string, body?: object) => {
  const response = await fetch(`${base}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${tokenWith(scope)}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  const answer = (await response.json()) as { data: any }
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(answer)}`)
  return answer
}

/** A fresh browser context (its own sessionStorage), at `width` pixels. */
const newPage = async (width = 1440) => (await browser.newContext({ viewport: { width, height: 900 } })).newPage()

describe.skipIf(!haveChromium)(`the web console in Chromium${haveChromium ? '' : ` (skipped: no Chromium at ${CHROMIUM}; apt-get install chromium)`}`, () => {
  beforeAll(async () => {
    if (!existsSync(`${ROOT}apps/console/dist/index.html`)) throw new Error('apps/console/dist is missing: run npm run build first')
    db = connectDb()
    redis = await connect()
    gateway = await startGateway(db, redis)
    replica = await startReplica()
    workers = await startAnalyticsWorkers(db, redis)
    gatewayUrl = await gateway.listen({ host: '127.0.0.1', port: 0 })
    assignmentUrl = await replica.app.listen({ host: '127.0.0.1', port: 0 })
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true })
    page = await newPage()
    // Two more experiments for the list and its status filter.
    for (const name of ['Checkout button colour', 'Pricing page copy']) {
      const { data } = await api(gatewayUrl, '/api/experiments', 'experiments:write', {
        name,
        variants: [
          { name: 'Control', splitPercentage: 50 },
          { name: 'Variant B', splitPercentage: 50 },
        ],
      })
      if (name === 'Pricing page copy') await api(gatewayUrl, `/api/experiments/${data.id}/start`, 'experiments:write', {})
    }
  })
  afterAll(async () => {
    await browser?.close()
    await workers?.close()
    await replica?.close()
    await gateway?.close()
    await db?.destroy()
    redis?.disconnect()
  })

  it('signs in through the #token= link and takes the token out of the address bar', async () => {
    await page.goto(`${gatewayUrl}/#token=${fullToken}`)
    await page.getByRole('heading', { name: 'Experiments', level: 1 }).waitFor()
    expect(page.url()).toBe(`${gatewayUrl}/#/experiments`)
    expect(await page.evaluate('sessionStorage.length')).toBe(1)
    await page.getByRole('link', { name: 'Pricing page copy' }).waitFor()
    await page.getByLabel('Status').selectOption('draft')
    await page.getByRole('link', { name: 'Pricing page copy' }).waitFor({ state: 'detached' })
    await page.getByRole('link', { name: 'Checkout button colour' }).waitFor()
    expect(page.url()).toBe(`${gatewayUrl}/#/experiments?status=draft`)
  })

  it('creates an audience, flagging conditions that are not JSON at their field', async () => {
    await page.getByRole('link', { name: 'Audiences', exact: true }).click()
    await page.getByRole('link', { name: 'New audience' }).click()
    await page.getByLabel('Name', { exact: true }).fill('Germany, adults')
    const conditions = page.getByLabel('Conditions (JSON)')
    await conditions.fill('{"country": "DE",')
    await page.getByRole('button', { name: 'Create audience' }).click()
    await expect.poll(() => conditions.getAttribute('aria-invalid')).toBe('true')
    await conditions.fill('{"country": "DE", "age": {"$gte": 18}}')
    await page.getByRole('button', { name: 'Create audience' }).click()
    await page.getByRole('heading', { name: 'Germany, adults', level: 1 }).waitFor()
    await page.getByRole('link', { name: 'Experiments', exact: true }).first().click()
  })

  it('creates an experiment through the form, showing the API’s validation message at its field first', async () => {
    await page.getByRole('link', { name: 'New experiment' }).click()
    await page.getByLabel('Name', { exact: true }).waitFor()
    // The API refuses an empty variant name; its message appears at that input.
    await page.getByLabel('Variant 2 name').fill('')
    await page.getByRole('button', { name: 'Create experiment' }).click()
    const variantName = page.getByLabel('Variant 2 name')
    await expect.poll(() => variantName.getAttribute('aria-invalid')).toBe('true')
    const errorId = (await variantName.getAttribute('aria-describedby'))!
    expect(await page.locator(`#${errorId}`).textContent()).toMatch(/name/)

    await page.getByLabel('Name', { exact: true }).fill('Onboarding flow')
    await variantName.fill('Detailed')
    await page.getByLabel('Flow ID (optional)').nth(1).fill('flow_b')
    await page.getByLabel('Config (JSON object, optional)').nth(1).fill('{"steps": 5}')
    await page.getByRole('button', { name: 'Create experiment' }).click()
    await page.getByRole('heading', { name: /Onboarding flow/, level: 1 }).waitFor()
    experimentId = decodeURIComponent(/#\/experiments\/([^/]+)$/.exec(page.url())![1]!)
    expect(await page.getByRole('cell', { name: 'flow_b' }).count()).toBe(1)
  })

  it('starts it after a confirmation naming the consequence', async () => {
    await page.getByRole('button', { name: 'Start' }).click()
    const dialog = page.getByRole('dialog', { name: 'Start this experiment?' })
    await dialog.waitFor()
    expect(await dialog.textContent()).toMatch(/opens enrolment/)
    await dialog.getByRole('button', { name: 'Start' }).click()
    await page.getByRole('status').getByText('Experiment started.').waitFor()
    expect(await page.locator('.badge-running').count()).toBeGreaterThan(0)
  })

  it('shows the results computed from assignments and conversions sent through the API, with the lift chart', async () => {
    const users = Array.from({ length: 400 }, (_, i) => `user-${i}`)
    const assigned = await inParallel(users, 25, async (userId) => {
      const { data } = await api(assignmentUrl, `/api/experiments/${experimentId}/assignments`, 'assignments:write', { userId })
      return data as { userId: string; variant: { name: string } }
    })
    await analytics(db, redis).drain.drainFully(experimentId)
    // Control converts one user in ten, Detailed one in four.
    const converting = assigned.filter((a, i) => i % (a.variant.name === 'Control' ? 10 : 4) === 0)
    const events = converting.map((a) => ({ eventId: `${experimentId}-${a.userId}`, experimentId, userId: a.userId }))
    await api(gatewayUrl, '/api/conversions', 'events:write', { events })
    await eventually(
      async () => (await db.selectFrom('conversions').select('event_id').where('tenant_id', '=', tenant).execute()).length === events.length,
      10_000,
      'conversions stored',
    )

    await page.getByRole('link', { name: 'Results' }).click()
    await page.getByRole('heading', { name: /Results: Onboarding flow/ }).waitFor()
    await page.getByRole('button', { name: 'Compute now' }).click()
    const table = page.locator('table.results')
    await table.waitFor()
    const control = assigned.filter((a) => a.variant.name === 'Control').length
    expect(await table.getByRole('row', { name: /Control/ }).textContent()).toContain(control.toLocaleString('en-US'))
    expect(await table.getByRole('row', { name: /Detailed/ }).textContent()).toMatch(/%/)
    await page.locator('.lift-chart svg circle').first().waitFor()
    expect(await page.locator('.lift-chart svg circle').count()).toBe(1)
    expect(await page.locator('table.snapshots tbody tr').count()).toBe(1)
    expect(await page.getByText('None: every conversion belongs').count()).toBe(1)

    if (screenshots) {
      mkdirSync(`${ROOT}docs`, { recursive: true })
      await page.screenshot({ path: `${ROOT}docs/console-results.png`, fullPage: true })
    }
    await page.setViewportSize({ width: 360, height: 800 })
    // Narrow screens scroll tables inside their frames; the page itself does not scroll sideways.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360)
    await page.setViewportSize({ width: 1440, height: 900 })
  })

  it('stops it: enrolment closes', async () => {
    await page.getByRole('link', { name: 'Onboarding flow' }).click()
    await page.getByRole('button', { name: 'Stop' }).click()
    const dialog = page.getByRole('dialog', { name: 'Stop this experiment?' })
    expect(await dialog.textContent()).toMatch(/users already in keep their variant/)
    await dialog.getByRole('button', { name: 'Stop' }).click()
    await page
      .getByRole('status')
      .getByText(/Experiment stopped/)
      .waitFor()
    expect(await page.getByRole('button', { name: 'Restart' }).count()).toBe(1)

    await page.getByRole('link', { name: 'Experiments', exact: true }).first().click()
    await page.getByRole('link', { name: 'Onboarding flow' }).waitFor()
    if (screenshots) await page.screenshot({ path: `${ROOT}docs/console-list.png` })
  })

  it('offers a read-only token (no experiments:write) no create, edit or lifecycle buttons', async () => {
    const reader = await newPage()
    await reader.goto(`${gatewayUrl}/#token=${tokenWith('experiments:read')}`)
    await reader.getByRole('link', { name: 'Onboarding flow' }).click()
    await reader.getByRole('link', { name: 'Results' }).waitFor()
    expect(await reader.getByText('read-only').count()).toBe(1)
    for (const name of ['Restart', 'Stop', 'Complete', 'Archive', 'Edit']) expect(await reader.getByRole('button', { name }).count()).toBe(0)
    expect(await reader.getByRole('link', { name: 'Edit' }).count()).toBe(0)
    await reader.getByRole('link', { name: 'Experiments', exact: true }).first().click()
    await reader.getByRole('heading', { name: 'Experiments', level: 1 }).waitFor()
    expect(await reader.getByRole('link', { name: 'New experiment' }).count()).toBe(0)
    await reader.context().close()
  })

  it('returns a token the API refuses to the sign-in page with the API’s message', async () => {
    const stranger = await newPage()
    const forged = signToken('another-secret-that-is-at-least-32-bytes', { tenantId: tenant, scope: 'experiments:read', ttlSeconds: 3600 })
    await stranger.goto(`${gatewayUrl}/#token=${forged}`)
    await stranger.getByRole('heading', { name: /Sign in/ }).waitFor()
    expect(await stranger.getByRole('alert').textContent()).toMatch(/invalid bearer token/)
    expect(await stranger.evaluate('sessionStorage.length')).toBe(0)
    await stranger.getByLabel('Bearer token').fill(fullToken)
    await stranger.getByRole('button', { name: 'Sign in' }).click()
    await stranger.getByRole('link', { name: 'Onboarding flow' }).waitFor()
    await stranger.context().close()
  })
})
