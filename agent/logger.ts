import type { LogFields, Logger } from '../src/ports.ts'

/** Writes one line per event to stdout/stderr, as text or JSON (LOG_FORMAT). */
export function createLogger(format: 'text' | 'json', write: (line: string, level: string) => void = defaultWrite): Logger {
  const emit = (level: 'info' | 'warn' | 'error', message: string, fields: LogFields = {}) => {
    const time = new Date().toISOString()
    if (format === 'json') {
      write(JSON.stringify({ time, level, message, ...fields }), level)
      return
    }
    const extra = Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${typeof value === 'string' && /\s/.test(value) ? JSON.stringify(value) : String(value)}`)
    write(`${time} ${level.toUpperCase().padEnd(5)} ${message}${extra.length ? ` ${extra.join(' ')}` : ''}`, level)
  }
  return {
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
  }
}

function defaultWrite(line: string, level: string): void {
  ;(level === 'info' ? process.stdout : process.stderr).write(`${line}\n`)
}
