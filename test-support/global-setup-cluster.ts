/** The `cluster` project's setup: global-setup.ts with a private Redis Cluster instead of one redis-server. */
import type { TestProject } from 'vitest/node'
import setup from './global-setup.js'

export default (project: TestProject) => setup(project, { cluster: true })
