#!/usr/bin/env node
// The agent's entry: read the environment once, build the objects, serve. Nothing else lives here.
import { ConfigError, loadConfig } from './config.ts'
import { createLogger } from './logger.ts'
import { startAgent } from './server.ts'
import { messageOf } from '../src/errors.ts'

let config
try {
  config = loadConfig(process.env)
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  process.stderr.write(`dockhook: ${error.message}\n`)
  process.exit(2)
}

const logger = createLogger(config.logFormat)
for (const warning of config.warnings) logger.warn(warning)

try {
  const agent = await startAgent(config, logger)
  logger.info('dockhook agent listening', { url: agent.url, dataDir: config.dataDir })
  const shutdown = (signal: string) => {
    logger.info('shutting down', { signal })
    agent.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGTERM', () => shutdown('SIGTERM'))
  process.once('SIGINT', () => shutdown('SIGINT'))
} catch (error) {
  logger.error('dockhook could not start', { reason: messageOf(error) })
  process.exit(1)
}
