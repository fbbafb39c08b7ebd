import { readFile } from 'node:fs/promises'
import type { z } from 'zod'
import { isErrorCode } from './atomic.ts'

export interface JsonFileErrors {
  /** The whole message for a file that is JSON but does not match the schema; name the file in it. */
  mismatch: string
  /** The store's own error type, so callers can tell a broken data file from a bug. */
  error: (message: string) => Error
}

/**
 * Reads a data file holding JSON that must match `schema`; `undefined` when there is no file.
 *
 * @example
 * const list = (await readJsonFile(path, ListSchema, { mismatch: `${path} must hold a JSON array of strings`, error: (message) => new RevocationsError(message) })) ?? []
 */
export async function readJsonFile<T>(path: string, schema: z.ZodType<T>, errors: JsonFileErrors): Promise<T | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return undefined
    throw error
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw errors.error(`${path} is not valid JSON`)
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success) throw errors.error(errors.mismatch)
  return parsed.data
}
