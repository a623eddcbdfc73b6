import { urlForDisplay } from "./_url_text.ts";
import { redactedHeaderLine } from "./_credentials.ts";

/** Where a GET goes: from {@linkcode parseHttpUrl}. *
 *
 * @example
 * ```ts
 * import { parseHttpUrl } from "@sockit/sockit";
 *
 * const { host, port, tls } = parseHttpUrl("https://example.com");
 * console.log(host, port, tls); // "example.com" 443 true
 * ```
 */
export interface HttpTarget {
  /** The URL, normalised. */
  url: URL;
  /** `true` for `https:`. */
  tls: boolean;
  /** The host to connect to: a name or an IP, IPv6 without brackets. */
  host: string;
  /** The port to connect to; 80 or 443 unless the URL names one. */
  port: number;
  /** Path and query, as sent in the request line. */
  path: string;
  /** The `Host` header: the port only when it is not the default. */
  hostHeader: string;
}

/**
 * Parses `http://…`, `https://…` or a bare `host[:port][/path]` (meaning
 * http), IPv6 in brackets included. The input must spell an authority with
 * a non-empty host: `http:///path`, `http:/host/` and `mailto:x@y` are
 * refused rather than guessed at, as the WHATWG parser alone would. Throws a
 * `TypeError` that names the value for anything else.
 *
 * @example
 * ```ts
 * import { parseHttpUrl } from "@sockit/sockit";
 *
 * const target = parseHttpUrl("[::1]:8080/status?x=1");
 * console.log(target.host, target.port, target.path); // ::1 8080 /status?x=1
 * ```
 *
 * @param text The URL as the user wrote it.
 * @returns The connection target and request fields.
 */
export function parseHttpUrl(text: string): HttpTarget {
  const refuse = (why: string) =>
    new TypeError(`Cannot fetch "${urlForDisplay(text)}": ${why}`);
  if (/[\s\\]/.test(text)) throw refuse("not a valid URL");
  const withScheme = /^([a-z][a-z0-9+.-]*):(.*)$/is.exec(text);
  let absolute = `http://${text}`;
  // `localhost:8080/x` is a host and a port, not a scheme named localhost.
  if (withScheme && !/^(?:\d+(?:[/?#]|$)|$)/.test(withScheme[2]!)) {
    const scheme = withScheme[1]!.toLowerCase();
    if (scheme !== "http" && scheme !== "https") {
      throw refuse(`unsupported scheme "${scheme}", use http or https`);
    }
    if (!withScheme[2]!.startsWith("//")) {
      throw refuse(`no host: write ${scheme}://host[:port][/path]`);
    }
    absolute = text;
  }
  const authority = /^[a-z]+:\/\/([^/?#]*)/i.exec(absolute)?.[1] ?? "";
  const hostPort = authority.slice(authority.lastIndexOf("@") + 1);
  if (/^(?::\d*)?$/.test(hostPort)) throw refuse("no host");
  let url: URL;
  try {
    url = new URL(absolute);
  } catch {
    throw refuse("not a valid URL");
  }
  if (url.hostname === "") throw refuse("no host");
  return targetOf(url);
}

/** The target for an already-parsed http(s) URL, such as a redirect. *
 *
 * @example Resolve a redirect
 * ```ts
 * import { parseHttpUrl, targetOf } from "@sockit/sockit";
 *
 * const here = parseHttpUrl("http://example.com/a/b");
 * console.log(targetOf(new URL("../c", here.url)).path); // "/c"
 * ```
 *
 * @param url An `http:` or `https:` URL.
 * @returns The connection target and request fields.
 */
export function targetOf(url: URL): HttpTarget {
  const tls = url.protocol === "https:";
  if (!tls && url.protocol !== "http:") {
    throw new TypeError(
      `Cannot fetch "${urlForDisplay(url)}": unsupported scheme "${
        url.protocol.slice(0, -1)
      }", use http or https`,
    );
  }
  // The WHATWG parser takes port 0, which no connect can reach.
  if (url.port === "0") {
    throw new TypeError(
      `Cannot fetch "${urlForDisplay(url)}": port 0 cannot be connected to`,
    );
  }
  return {
    url,
    tls,
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port === "" ? (tls ? 443 : 80) : Number(url.port),
    path: `${url.pathname || "/"}${url.search}`,
    hostHeader: url.host,
  };
}

/** Options for {@linkcode formatGetRequest}. *
 *
 * @example
 * ```ts
 * import { formatGetRequest, parseHttpUrl } from "@sockit/sockit";
 *
 * formatGetRequest(parseHttpUrl("example.com"), { headers: [["Accept", "text/html"]] });
 * ```
 */
export interface GetRequestOptions {
  /**
   * Extra `[name, value]` headers, sent in order. The first with a
   * default's name replaces the default, or removes it with a `null` value
   * (curl's `-H "Host:"`); two of one name are both sent, as curl's `-H`.
   */
  headers?: [string, string | null][];
  /** `User-Agent`, for example `sockit/0.1.0`. */
  userAgent?: string;
  /** `"GET"` (the default) or `"HEAD"`. */
  method?: "GET" | "HEAD";
  /**
   * Send the Renoise seed's request instead: `GET <path> HTTP/1.0` with
   * only `Host` (and any extra headers).
   */
  http10?: boolean;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/i;

/**
 * Checks a header line from a user and splits it, as curl's `-H`:
 * `Name: value`; `Name:` with no value (`null`) removes that header;
 * `Name;` sends it empty. Throws a `TypeError` naming the line when it is
 * not a valid header.
 *
 * @example
 * ```ts
 * import { parseHeaderLine } from "@sockit/sockit";
 *
 * console.log(parseHeaderLine("Accept: text/plain")); // ["Accept", "text/plain"]
 * console.log(parseHeaderLine("Host:")); // ["Host", null]
 * ```
 *
 * @param line `Name: value`, `Name:` or `Name;`.
 * @returns The name and the trimmed value, or `null` for a removal.
 */
export function parseHeaderLine(line: string): [string, string | null] {
  const empty = /^\s*([^:;\s]+)\s*;\s*$/.exec(line)?.[1];
  if (empty !== undefined && TOKEN.test(empty)) return [empty, ""];
  const colon = line.indexOf(":");
  const name = colon > 0 ? line.slice(0, colon).trim() : "";
  const value = line.slice(colon + 1).trim();
  if (!isHeader(name, value)) refuseHeader(line);
  return [name, value === "" ? null : value];
}

/** A token for a name, and no line break or NUL in the value. */
function isHeader(name: string, value: string | null): boolean {
  return TOKEN.test(name) && !/[\r\n\0]/.test(value ?? "");
}

function refuseHeader(line: string): never {
  // JSON quoting keeps the line break that made it bad on one line; a
  // credential's value stays out of the error line, and so out of logs.
  throw new TypeError(
    `Cannot send header ${
      JSON.stringify(redactedHeaderLine(line))
    }: use "Name: value"`,
  );
}

/**
 * The `Authorization` value for HTTP Basic authentication, UTF-8 encoded
 * as curl sends it.
 *
 * @example
 * ```ts
 * import { basicAuthorization } from "@sockit/sockit";
 *
 * console.log(basicAuthorization("user", "pass")); // "Basic dXNlcjpwYXNz"
 * ```
 *
 * @param user The user name.
 * @param password The password, possibly empty.
 * @returns `Basic <base64 of user:password>`.
 */
export function basicAuthorization(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

/**
 * The bytes of a request: `GET <path> HTTP/1.1` (or `HEAD`) with `Host`,
 * `User-Agent`, `Accept: *\/*` and `Connection: close`, each replaceable,
 * and Basic authentication for a URL with a user name. A header name that
 * is not a token, or a value or user agent holding a line break or NUL, is a
 * `TypeError` naming it, as in {@linkcode parseHeaderLine}.
 *
 * @example
 * ```ts
 * import { formatGetRequest, parseHttpUrl } from "@sockit/sockit";
 *
 * const request = formatGetRequest(parseHttpUrl("example.com/"), {
 *   userAgent: "sockit/0.1.0",
 * });
 * console.log(new TextDecoder().decode(request));
 * ```
 *
 * @param target From {@linkcode parseHttpUrl}.
 * @param options Extra headers, user agent, method, or the seed's 1.0 form.
 * @returns The request, ready to send.
 */
export function formatGetRequest(
  target: HttpTarget,
  options: GetRequestOptions = {},
): Uint8Array {
  const defaults: [string, string][] = options.http10
    ? [["Host", target.hostHeader]]
    : [
      ["Host", target.hostHeader],
      ["User-Agent", options.userAgent ?? "sockit"],
      ["Accept", "*/*"],
      ["Connection", "close"],
    ];
  const authorization = urlAuthorization(target.url);
  if (authorization) defaults.push(["Authorization", authorization]);
  // A default is replaced by the first header of its name (removed by a
  // `null` one); every other header is sent as given, so two of one name
  // are both sent, as curl sends every -H.
  const headers: ([string, string] | undefined)[] = [...defaults];
  const defaultAt = new Map(
    defaults.map(([name], at) => [name.toLowerCase(), at]),
  );
  // Checked here too, not only in parseHeaderLine: a caller's line break
  // would end the header and start one of the caller's peer's choosing.
  const agent = defaults.find(([name]) => name === "User-Agent");
  if (agent && !isHeader(...agent)) refuseHeader(agent.join(": "));
  for (const [name, value] of options.headers ?? []) {
    if (!isHeader(name, value)) {
      refuseHeader(value === null ? `${name}:` : `${name}: ${value}`);
    }
    const at = defaultAt.get(name.toLowerCase());
    if (at !== undefined) {
      defaultAt.delete(name.toLowerCase());
      headers[at] = value === null ? undefined : [name, value];
    } else if (value !== null) {
      headers.push([name, value]);
    }
  }
  const version = options.http10 ? "HTTP/1.0" : "HTTP/1.1";
  const lines = [`${options.method ?? "GET"} ${target.path} ${version}`];
  for (const header of headers) {
    if (header === undefined) continue;
    const [name, value] = header;
    lines.push(value === "" ? `${name}:` : `${name}: ${value}`);
  }
  return new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n");
}

/**
 * The Basic `Authorization` a URL's `user:pass@` stands for, or undefined
 * when it has none.
 */
export function urlAuthorization(url: URL): string | undefined {
  if (url.username === "") return undefined;
  return basicAuthorization(
    percentDecoded(url.username),
    percentDecoded(url.password),
  );
}

/** `%XX` escapes decoded; a `%` that escapes nothing stays, as curl sends it. */
function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
