const cache = new Map<string, RegExp>();
const CACHE_LIMIT = 1000;

/**
 * Whether an OSC 1.0 address pattern matches an address: `?` is one
 * character, `*` any run of characters, `[a-z]` and `[!a]` a character in
 * (or not in) a set, `{foo,bar}` one of the words. None of them crosses a
 * `/`. A malformed pattern (an unclosed `[` or `{`) throws `SyntaxError`.
 *
 * @example Dispatch on a pattern
 * ```ts
 * import { matchOscAddress } from "@sockit/sockit";
 *
 * console.log(matchOscAddress("/renoise/trigger/note_{on,off}", "/renoise/trigger/note_on")); // true
 * console.log(matchOscAddress("/track/[!0-4]/mute", "/track/7/mute")); // true
 * ```
 *
 * @param pattern The address pattern (from a received message).
 * @param address A concrete address (a method of the receiver).
 * @returns True when they match.
 */
export function matchOscAddress(pattern: string, address: string): boolean {
  return compileOscPattern(pattern).test(address);
}

/**
 * An OSC 1.0 address pattern as an anchored `RegExp` (cached).
 *
 * @example
 * ```ts
 * import { compileOscPattern } from "@sockit/sockit";
 *
 * const pattern = compileOscPattern("/mixer/*\/volume");
 * console.log(pattern.test("/mixer/1/volume")); // true
 * ```
 *
 * @param pattern The address pattern.
 * @returns A regular expression that matches whole addresses.
 */
export function compileOscPattern(pattern: string): RegExp {
  const cached = cache.get(pattern);
  if (cached) return cached;
  const compiled = new RegExp(`^${translate(pattern)}$`);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(pattern, compiled);
  return compiled;
}

function translate(pattern: string): string {
  let out = "";
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === "?") out += "[^/]";
    else if (c === "*") out += "[^/]*";
    else if (c === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close === -1) throw new SyntaxError(`unclosed [ in "${pattern}"`);
      let body = pattern.slice(i + 1, close);
      const negate = body.startsWith("!");
      if (negate) body = body.slice(1);
      out += `[${negate ? "^/" : ""}${
        [...body].map((ch, k) =>
          ch === "-" && k > 0 && k < body.length - 1 ? "-" : escapeClass(ch)
        ).join("")
      }]`;
      i = close + 1;
      continue;
    } else if (c === "{") {
      const close = pattern.indexOf("}", i);
      if (close === -1) throw new SyntaxError(`unclosed { in "${pattern}"`);
      out += `(?:${
        pattern.slice(i + 1, close).split(",").map(escapeText).join("|")
      })`;
      i = close + 1;
      continue;
    } else out += escapeText(c);
    i++;
  }
  return out;
}

function escapeText(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

function escapeClass(ch: string): string {
  return /[\\\]\[^-]/.test(ch) ? `\\${ch}` : ch;
}
