/**
 * A real terminal for interactive programs: a tmux session on its own tmux server (one per
 * terminal, so nothing is shared with other tests or a person's tmux). Tests type keys and read the
 * screen as a person would.
 *
 *     const term = await Terminal.start([process.execPath, 'agent/cli/main.ts'], { env: { DATA_DIR } })
 *     await term.waitFor('what do you want to do?')
 *     await term.press('Enter')
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Printed after the program ends, so tests can read its exit code off the screen. */
const EXIT_MARK = '[terminal: exit '

export interface TerminalOptions {
  /** Variables set for the program (on top of PATH, HOME, TERM and LANG). */
  env?: Record<string, string>
  cwd?: string
  columns?: number
  rows?: number
}

export class Terminal {
  readonly #socket: string
  readonly #socketPath: string
  readonly #target: string

  private constructor(socket: string, socketPath: string) {
    this.#socket = socket
    this.#socketPath = socketPath
    this.#target = `${socket}:0`
  }

  /** Starts `command` (argv) in a fresh terminal. */
  static async start(command: readonly string[], options: TerminalOptions = {}): Promise<Terminal> {
    const socket = `dh-term-${randomBytes(5).toString('hex')}`
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      TERM: 'xterm-256color',
      LANG: 'C.UTF-8',
      ...options.env,
    }
    const quoted = command.map(shellQuote).join(' ')
    // The shell stays for a while after the program so its last screen and exit code can be read.
    const script = `${quoted}; printf '\\n${EXIT_MARK}%s]\\n' "$?"; exec sleep 600`
    await tmux(socket, [
      'new-session', '-d', '-s', socket,
      '-x', String(options.columns ?? 200), '-y', String(options.rows ?? 50),
      ...(options.cwd ? ['-c', options.cwd] : []),
      ...Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]),
      'sh', '-c', script,
    ])
    await tmux(socket, ['set-option', '-t', socket, 'history-limit', '10000'])
    const { stdout } = await tmux(socket, ['display-message', '-p', '-t', socket, '#{socket_path}'])
    return new Terminal(socket, stdout.trim())
  }

  /** What the terminal shows, with the scrollback; wrapped lines joined (`-J`) so long tokens stay whole. */
  async screen(): Promise<string> {
    const { stdout } = await tmux(this.#socket, ['capture-pane', '-p', '-J', '-t', this.#target, '-S', '-10000'])
    return stdout
  }

  /** Polls the screen until `expected` shows; rejects with the screen when it does not in time. */
  async waitFor(expected: string | RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const screen = await this.screen()
      if (typeof expected === 'string' ? screen.includes(expected) : expected.test(screen)) return screen
      if (Date.now() > deadline) throw new Error(`terminal: ${String(expected)} did not show within ${timeoutMs} ms; the screen was:\n${screen}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  /** Types text literally. */
  async type(text: string): Promise<void> {
    await tmux(this.#socket, ['send-keys', '-t', this.#target, '-l', text])
  }

  /** Presses keys by tmux name: Enter, Space, Up, Down, BSpace, C-c … */
  async press(...keys: string[]): Promise<void> {
    for (const key of keys) await tmux(this.#socket, ['send-keys', '-t', this.#target, key])
  }

  /** Waits for the program to end; resolves with its exit code. */
  async exitCode(timeoutMs = 15_000): Promise<number> {
    const screen = await this.waitFor(EXIT_MARK, timeoutMs)
    const code = new RegExp(`${escapeRegExp(EXIT_MARK)}(\\d+)\\]`).exec(screen)?.[1]
    if (code === undefined) throw new Error(`terminal: no exit code on the screen:\n${screen}`)
    return Number(code)
  }

  /** Ends the program and the tmux server, and removes its socket (tmux leaves it behind). */
  async close(): Promise<void> {
    await tmux(this.#socket, ['kill-server']).catch(() => {})
    if (this.#socketPath) await rm(this.#socketPath, { force: true })
  }
}

function tmux(socket: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('tmux', ['-u', '-L', socket, ...args], { encoding: 'utf8' })
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
