/**
 * Splits a streamed Engine answer (JSON objects separated by `\r\n`) into parsed objects.
 * A line that is not JSON is yielded as `{ unparsable: line }` rather than thrown: progress output
 * is informational, and the caller decides what an odd line means.
 */
export async function* jsonLines(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<Record<string, unknown>> {
  const decoder = new TextDecoder()
  let buffered = ''
  for await (const chunk of body) {
    buffered += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })
    let newline: number
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim()
      buffered = buffered.slice(newline + 1)
      if (line) yield parseLine(line)
    }
  }
  const rest = (buffered + decoder.decode()).trim()
  if (rest) yield parseLine(rest)
}

function parseLine(line: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(line)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : { unparsable: line }
  } catch {
    return { unparsable: line }
  }
}
