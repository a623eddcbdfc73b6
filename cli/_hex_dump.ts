/** Bytes on one `hexdump -C` line. */
const ROW = 16;

/**
 * `data` as `hexdump -C` rows whose offsets start at `offset`, so that the
 * chunks of one stream, dumped one after another, read as one dump. No `*`
 * squeezing and no closing total line: a live stream has no end to total.
 *
 * Every byte outside printable ASCII is a `.` in the text column, so a
 * peer cannot reach the terminal through a dump.
 */
export function hexDump(data: Uint8Array, offset = 0): string[] {
  const rows: string[] = [];
  for (let start = 0; start < data.length; start += ROW) {
    const row = data.subarray(start, start + ROW);
    let hex = "";
    let text = "";
    for (let i = 0; i < ROW; i++) {
      const byte = row[i];
      hex += byte === undefined ? "   " : `${hexOf(byte)} `;
      if (i === 7) hex += " ";
      if (byte !== undefined) {
        text += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : ".";
      }
    }
    rows.push(
      `${(offset + start).toString(16).padStart(8, "0")}  ${hex} |${text}|`,
    );
  }
  return rows;
}

/** A chunk as lowercase hex digits, for the `hex` field of JSON events. */
export function toHex(data: Uint8Array): string {
  let out = "";
  for (const byte of data) out += hexOf(byte);
  return out;
}

let hexDigits: string[] | undefined;

/** Each byte's two hex digits, built at the first dump, not at load time. */
function hexOf(byte: number): string {
  hexDigits ??= Array.from(
    { length: 256 },
    (_, byte) => byte.toString(16).padStart(2, "0"),
  );
  return hexDigits[byte]!;
}
