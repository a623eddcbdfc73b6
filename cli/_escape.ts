/**
 * Peer bytes as one safe line of text: a peer must not be able to move the
 * cursor, recolour or retitle the terminal of whoever watches the events.
 *
 * Printable UTF-8 passes through. `\n`, `\r`, `\t`, `\\` and `\'` are
 * escaped as in C; every other C0 byte, DEL and each byte of invalid UTF-8
 * becomes `\xNN`; C1 controls (U+0080 to U+009F) and the characters that
 * reorder or hide text (see `hidesText`) become `\uNNNN`.
 */
export function escapeBytes(bytes: Uint8Array): string {
  // Escapes are ASCII and kept characters are their own UTF-8 bytes, so
  // the line is built as bytes in one reused buffer and decoded once:
  // concatenating a string piece per byte cost most of a message event.
  if (scratch.length < bytes.length * 4) {
    scratch = new Uint8Array(Math.max(bytes.length * 4, scratch.length * 2));
  }
  const n = escapeInto(bytes, scratch, 0);
  return latinOnly(scratch, n) ? asciiText(scratch, n) : textDecoder.decode(
    scratch.subarray(0, n),
  );
}

/**
 * {@linkcode escapeBytes} as UTF-8 bytes, written into `out` from `at`;
 * returns where they end. `out` must have room for `4 × bytes.length`
 * more, all of which it may overwrite: the event writer escapes peer data
 * straight into its queue.
 */
export function escapeInto(
  bytes: Uint8Array,
  out: Uint8Array,
  at: number,
): number {
  const { codes, lengths } = byteEscapes();
  const end = bytes.length;
  let n = at;
  let i = 0;
  while (i < end) {
    const byte = bytes[i]!;
    const count = lengths[byte]!;
    // Every byte but a possible UTF-8 lead is one table entry, stored as
    // four bytes at once and counted as `count`: random binary makes a
    // branch per byte class a coin toss, and this took 0.97 → 0.53 µs per
    // 64 random bytes (ASCII text unchanged, 0.25). The bytes past `count`
    // land in the 4× room and are overwritten.
    if (count !== 0) {
      const code = codes[byte]!;
      out[n] = code;
      out[n + 1] = code >>> 8;
      out[n + 2] = code >>> 16;
      out[n + 3] = code >>> 24;
      n += count;
      i++;
      continue;
    }
    const length = sequenceLength(bytes, i);
    if (length === 0) {
      out[n++] = 0x5c; // \
      out[n++] = 0x78; // x
      out[n++] = HEX_DIGITS[byte >> 4]!;
      out[n++] = HEX_DIGITS[byte & 0xf]!;
      i++;
      continue;
    }
    const codePoint = decodeAt(bytes, i, length);
    if (codePoint <= 0x9f || (codePoint >= 0x61c && hidesText(codePoint))) {
      out[n++] = 0x5c; // \
      out[n++] = 0x75; // u
      for (let shift = 12; shift >= 0; shift -= 4) {
        out[n++] = HEX_DIGITS[(codePoint >> shift) & 0xf]!;
      }
    } else {
      for (let k = 0; k < length; k++) out[n++] = bytes[i + k]!;
    }
    i += length;
  }
  return n;
}

let scratch = new Uint8Array(1024);
const textDecoder = new TextDecoder();
const HEX_DIGITS = new TextEncoder().encode("0123456789abcdef");

/** Whether the first `n` bytes are all ASCII. */
function latinOnly(bytes: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

/** ASCII bytes as a string without a decoder call (short lines). */
function asciiText(bytes: Uint8Array, n: number): string {
  if (n > 4096) return textDecoder.decode(bytes.subarray(0, n));
  return String.fromCharCode.apply(
    null,
    bytes.subarray(0, n) as unknown as number[],
  );
}

/**
 * A message as one line that cannot drive a terminal: controls and the
 * characters that hide text are escaped as {@linkcode escapeBytes} does.
 * Backslashes and quotes stay: a message may quote bytes `escapeBytes`
 * already escaped, and they must not be escaped twice.
 */
export function escapeControls(text: string): string {
  return text.replace(/[^\x20-\x7e]/gu, (char) => {
    const code = char.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f) return NAMED[code] ?? hexByte(code);
    return code <= 0x9f || hidesText(code)
      ? `\\u${code.toString(16).padStart(4, "0")}`
      : char;
  });
}

/** `bytes` as text when they are entirely valid UTF-8, else `undefined`. */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Whether `bytes` are entirely valid UTF-8. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  return utf8Text(bytes) !== undefined;
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true });

const NAMED: Record<number, string> = {
  0x09: "\\t",
  0x0a: "\\n",
  0x0d: "\\r",
  0x27: "\\'",
  0x5c: "\\\\",
};

let hexEscapes: string[] | undefined;
let escapeTable: { codes: Uint32Array; lengths: Uint8Array } | undefined;

/**
 * `\xNN` for each byte value, built once: binary data is the hot path. Not
 * at load time, which every `sockit send` pays, printing peer data or not.
 */
function hexByte(byte: number): string {
  hexEscapes ??= Array.from(
    { length: 256 },
    (_, byte) => `\\x${byte.toString(16).padStart(2, "0")}`,
  );
  return hexEscapes[byte]!;
}

/**
 * What each byte value becomes, as up to four bytes packed little-endian
 * in `codes` and their number in `lengths`. A byte that may start a UTF-8
 * sequence (0xc2–0xf4) has length 0: it depends on the bytes after it.
 * Built once, not at load time, for the same reason as the hex escapes.
 */
function byteEscapes(): { codes: Uint32Array; lengths: Uint8Array } {
  if (escapeTable) return escapeTable;
  const encoder = new TextEncoder();
  const codes = new Uint32Array(256);
  const lengths = new Uint8Array(256);
  for (let byte = 0; byte < 256; byte++) {
    const escape = encoder.encode(
      NAMED[byte] ??
        (byte >= 0x20 && byte < 0x7f
          ? String.fromCharCode(byte)
          : hexByte(byte)),
    );
    codes[byte] = escape.reduce((code, value, k) => code | value << 8 * k, 0);
    lengths[byte] = byte >= 0xc2 && byte <= 0xf4 ? 0 : escape.length;
  }
  escapeTable = { codes, lengths };
  return escapeTable;
}

/**
 * Bidi controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069),
 * invisible characters (U+200B, U+2060, U+FEFF) and the line and paragraph
 * separators: they reorder, hide or break what a reader sees. The joiners
 * U+200C and U+200D stay, as scripts and emoji need them.
 */
function hidesText(codePoint: number): boolean {
  return codePoint === 0x061c || codePoint === 0x200b ||
    codePoint === 0x200e || codePoint === 0x200f ||
    (codePoint >= 0x2028 && codePoint <= 0x202e) || codePoint === 0x2060 ||
    (codePoint >= 0x2066 && codePoint <= 0x2069) || codePoint === 0xfeff;
}

/**
 * The length of the well-formed UTF-8 sequence at `i` (RFC 3629 table 3:
 * no overlongs, no surrogates, nothing past U+10FFFF), or 0.
 */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const lead = bytes[i]!;
  // Past the end reads as -1 through `?? -1`: never a continuation byte.
  const b1 = bytes[i + 1] ?? -1;
  if (lead >= 0xc2 && lead <= 0xdf) return b1 >= 0x80 && b1 <= 0xbf ? 2 : 0;
  const b2 = bytes[i + 2] ?? -1;
  if (lead >= 0xe0 && lead <= 0xef) {
    const low = lead === 0xe0 ? 0xa0 : 0x80;
    const high = lead === 0xed ? 0x9f : 0xbf;
    return b1 >= low && b1 <= high && b2 >= 0x80 && b2 <= 0xbf ? 3 : 0;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    const low = lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xf4 ? 0x8f : 0xbf;
    const b3 = bytes[i + 3] ?? -1;
    return b1 >= low && b1 <= high && b2 >= 0x80 && b2 <= 0xbf &&
        b3 >= 0x80 && b3 <= 0xbf
      ? 4
      : 0;
  }
  return 0;
}

function decodeAt(bytes: Uint8Array, i: number, length: number): number {
  const lead = bytes[i]!;
  let codePoint = lead & (0xff >> (length + 1));
  for (let k = 1; k < length; k++) {
    codePoint = (codePoint << 6) | (bytes[i + k]! & 0x3f);
  }
  return codePoint;
}
