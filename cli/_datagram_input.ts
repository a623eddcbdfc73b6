const LF = 0x0a;
const CR = 0x0d;

/** How a byte stream (stdin) becomes datagrams. */
export interface DatagramInputOptions {
  /** One datagram per line (newline kept) instead of one per read. */
  lines: boolean;
  /** The largest payload one datagram may carry (65,507 for IPv4). */
  max: number;
}

/**
 * Cuts a byte stream into datagram payloads, as `nc -u` does: by default a
 * datagram is what one read returned, so binary input is never cut at 0x0a;
 * a read longer than `max` becomes several datagrams. With `lines`, each
 * line is one datagram with its newline, an empty line is an empty datagram
 * and a line longer than `max` is sent in `max`-sized pieces: at most one
 * datagram's worth is ever held, whatever the input.
 *
 * Each yielded payload may be a view into `chunks`' buffer or into one
 * reused buffer: send it before asking for the next.
 *
 * @example
 * ```ts ignore
 * for await (const payload of datagramsOf(readChunks(), { lines: false, max: 65_507 })) {
 *   await client.send(payload);
 * }
 * ```
 */
export function datagramsOf(
  chunks: AsyncIterable<Uint8Array>,
  options: DatagramInputOptions,
): AsyncGenerator<Uint8Array> {
  if (!(options.max > 0)) {
    throw new RangeError(`Cannot cut datagrams of ${options.max} bytes`);
  }
  return options.lines
    ? lineDatagrams(chunks, options.max)
    : readDatagrams(chunks, options.max);
}

async function* readDatagrams(
  chunks: AsyncIterable<Uint8Array>,
  max: number,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    for (let start = 0; start < chunk.length; start += max) {
      yield chunk.subarray(start, start + max);
    }
  }
}

async function* lineDatagrams(
  chunks: AsyncIterable<Uint8Array>,
  max: number,
): AsyncGenerator<Uint8Array> {
  const held = new Uint8Array(max);
  let length = 0;
  // A line already partly sent because it outgrew one datagram.
  let continued = false;
  for await (const chunk of chunks) {
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      const end = lf === -1 ? chunk.length : lf + 1;
      if (length === 0 && lf !== -1 && end - start <= max) {
        // The common case: a whole line inside one read, sent without a copy.
        const line = chunk.subarray(start, end);
        yield continued || !isBareLineEnd(line) ? line : line.subarray(0, 0);
        continued = false;
        start = end;
        continue;
      }
      while (start < end) {
        const count = Math.min(max - length, end - start);
        held.set(chunk.subarray(start, start + count), length);
        length += count;
        start += count;
        if (length === max) {
          yield held;
          length = 0;
          continued = true;
        }
      }
      if (lf !== -1) {
        if (length > 0) {
          const line = held.subarray(0, length);
          yield continued || !isBareLineEnd(line) ? line : line.subarray(0, 0);
          length = 0;
        }
        continued = false;
      }
    }
  }
  if (length > 0) yield held.subarray(0, length);
}

/** `\n` or `\r\n` alone: an empty line. */
function isBareLineEnd(line: Uint8Array): boolean {
  return line.length === 1 || (line.length === 2 && line[0] === CR);
}
