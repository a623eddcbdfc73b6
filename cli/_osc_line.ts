import { parseTimetag } from "../lib/mod.ts";
import { UsageError } from "./_exit.ts";
import type { Token } from "./_osc_values.ts";

/** One stdin line of `osc send`: `[TIMETAG] ADDRESS [TYPES [VALUES...]]`. */
export interface OscLine {
  timetag: bigint | undefined;
  address: string;
  types: string;
  values: Token[];
}

/**
 * Splits a line into words much as a shell would: `"two words"`,
 * `'two words'`, and the escapes sockit's lines print (`\n`, `\t`, `\r`,
 * `\\`, `\"`, `\'`, `\xNN`, `\uNNNN`) undone in and out of quotes.
 * A line that starts with a timetag is oscdump's output, where `'` never
 * quotes (`'sym`, `'A'`); elsewhere a `'` quotes only up to a `'` that ends
 * a word. Returns `undefined` for a blank line or a `#` comment.
 */
export function parseOscLine(line: string): OscLine | undefined {
  const words = tokenize(line, !DUMP_LINE.test(line));
  if (
    words.length === 0 || (!words[0]!.quoted && words[0]!.text.startsWith("#"))
  ) {
    return undefined;
  }
  let at = 0;
  const timetag = words[0]!.quoted ? undefined : parseTimetag(words[0]!.text);
  if (timetag !== undefined) at++;
  const address = words[at]?.text;
  if (address === undefined) {
    throw new UsageError("the line has a timetag but no address");
  }
  return {
    timetag,
    address,
    types: words[at + 1]?.text ?? "",
    values: words.slice(at + 2),
  };
}

/** A line that starts with oscdump's `%08x.%08x` timestamp. */
const DUMP_LINE = /^[ \t]*[0-9a-f]{8}\.[0-9a-f]{8}(?:[ \t\r\n]|$)/i;
/** Words split on ASCII blanks only: other Unicode spaces are peer text. */
const BLANK = /[ \t\r\n\v\f]/;

function tokenize(line: string, singleQuotes: boolean): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && BLANK.test(line[i]!)) i++;
    if (i >= n) break;
    let text = "";
    let quoted = false;
    while (i < n && !BLANK.test(line[i]!)) {
      const c = line[i]!;
      const close = c === '"'
        ? closingQuote(line, i)
        : c === "'" && singleQuotes
        ? closingQuote(line, i, true)
        : -1;
      if (c === '"' && close === -1) {
        throw new UsageError(`unclosed " in line: ${line}`);
      }
      if (close !== -1) {
        quoted = true;
        i++;
        while (i < close) {
          if (line[i] === "\\") {
            const [char, used] = unescape(line, i + 1);
            text += char;
            i += 1 + used;
          } else text += line[i++];
        }
        i = close + 1;
      } else if (c === "\\" && i + 1 < n) {
        const [char, used] = unescape(line, i + 1);
        text += char;
        i += 1 + used;
      } else {
        text += c;
        i++;
      }
    }
    tokens.push({ text, quoted });
  }
  return tokens;
}

/**
 * The index of the quote that closes the one at `i`, skipping backslash
 * escapes, or -1. With `endsWord`, the next `'` counts only if a word ends there.
 */
function closingQuote(line: string, i: number, endsWord = false): number {
  const quote = line[i];
  for (let k = i + 1; k < line.length; k++) {
    if (line[k] === "\\") {
      k++;
    } else if (line[k] === quote) {
      const after = line[k + 1];
      return !endsWord || after === undefined || BLANK.test(after) ? k : -1;
    }
  }
  return -1;
}

const SIMPLE: Record<string, string> = {
  n: "\n",
  t: "\t",
  r: "\r",
  "0": "\0",
};

/** The character escaped at `i` (just after the `\`) and how many chars it used. */
function unescape(line: string, i: number): [string, number] {
  const c = line[i]!;
  const simple = SIMPLE[c];
  if (simple !== undefined) return [simple, 1];
  if (c === "x" && /^[0-9a-f]{2}$/i.test(line.slice(i + 1, i + 3))) {
    return [String.fromCharCode(parseInt(line.slice(i + 1, i + 3), 16)), 3];
  }
  if (c === "u" && /^[0-9a-f]{4}$/i.test(line.slice(i + 1, i + 5))) {
    return [String.fromCharCode(parseInt(line.slice(i + 1, i + 5), 16)), 5];
  }
  return [c, 1];
}
