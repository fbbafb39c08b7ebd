import { describe, expect, it } from 'vitest'
import { ConfigError, DEFAULT_STABLE_SECONDS, loadConfig } from '../../agent/config.ts'

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      port: 3000,
      ip: '127.0.0.1',
      publicUrl: 'http://127.0.0.1:3000',
      behindProxy: false,
      indexPage: true,
      scriptTimeoutSeconds: 300,
      dataDir: './data',
      stableSeconds: DEFAULT_STABLE_SECONDS,
      healthTimeoutSeconds: 120,
      deployConcurrency: 4,
      logFormat: 'text',
      warnings: [],
    })
    expect(config.engine).toMatchObject({ kind: 'unix', socketPath: '/var/run/docker.sock' })
  })

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080', IP: '0.0.0.0', URL: 'https://deploy.example.com/', BEHIND_PROXY: 'true', DISABLE_INDEX_PAGE: 'yes',
      SCRIPT_TIMEOUT: '60', DATA_DIR: '/data', DOCKER_HOST: 'tcp://127.0.0.1:2375', DEPLOY_STABLE_SECONDS: '0',
      DEPLOY_HEALTH_TIMEOUT: '30', DEPLOY_CONCURRENCY: '2', AUTH_FAILURE_LIMIT: '0', LOG_FORMAT: 'json',
    })
    expect(config).toMatchObject({
      port: 8080, ip: '0.0.0.0', publicUrl: 'https://deploy.example.com', behindProxy: true, indexPage: false,
      scriptTimeoutSeconds: 60, dataDir: '/data', stableSeconds: 0, healthTimeoutSeconds: 30, deployConcurrency: 2,
      authFailureLimit: 0, logFormat: 'json',
    })
    expect(config.engine).toMatchObject({ kind: 'tcp', origin: 'http://127.0.0.1:2375' })
  })

  it('names the variable and the expectation for bad values', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ PORT: '70000' }, /PORT: expected a whole number from 0 to 65535, got "70000"/],
      [{ PORT: '3e3' }, /PORT: expected a whole number/],
      [{ IP: 'localhost' }, /IP: expected an IPv4 or IPv6 address/],
      [{ URL: 'ftp://x' }, /URL: expected an http\(s\) URL/],
      [{ BEHIND_PROXY: 'maybe' }, /BEHIND_PROXY: expected true or false, got "maybe"/],
      [{ LOG_FORMAT: 'xml' }, /LOG_FORMAT: expected text or json/],
      [{ DEPLOY_STABLE_SECONDS: '-1' }, /DEPLOY_STABLE_SECONDS: expected a whole number/],
      [{ DOCKER_HOST: 'npipe:////./pipe/docker_engine' }, /DOCKER_HOST npipe:.*unsupported scheme "npipe"/],
    ]
    for (const [env, message] of cases) {
      expect(() => loadConfig(env)).toThrow(ConfigError)
      expect(() => loadConfig(env)).toThrow(message)
    }
  })

  it('accepts docker-deploy-api variables it no longer needs, with a warning', () => {
    const config = loadConfig({ WORKERS: '4', SENTRY_DSN: 'https://key@sentry.example/1' })
    expect(config.warnings).toHaveLength(2)
    expect(config.warnings.join('\n')).toMatch(/WORKERS is ignored/)
    expect(config.warnings.join('\n')).not.toMatch(/sentry\.example/)
  })
})
