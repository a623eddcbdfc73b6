/** Where a GET goes: from {@linkcode parseHttpUrl}. *
 *
 * @example
 * ```ts
 * import { parseHttpUrl } from "jsr:@sockit/sockit";
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
 * http), IPv6 in brackets included. Throws a `TypeError` that names the
 * value for anything else.
 *
 * @example
 * ```ts
 * import { parseHttpUrl } from "jsr:@sockit/sockit";
 *
 * const target = parseHttpUrl("[::1]:8080/status?x=1");
 * console.log(target.host, target.port, target.path); // ::1 8080 /status?x=1
 * ```
 *
 * @param text The URL as the user wrote it.
 * @returns The connection target and request fields.
 */
export function parseHttpUrl(text: string): HttpTarget {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== "http" && scheme !== "https") {
    throw new TypeError(
      `Cannot fetch "${text}": unsupported scheme "${scheme}", use http or https`,
    );
  }
  let url: URL;
  try {
    url = new URL(scheme === undefined ? `http://${text}` : text);
  } catch {
    throw new TypeError(`Cannot fetch "${text}": not a valid URL`);
  }
  if (url.hostname === "" || /\s/.test(text)) {
    throw new TypeError(`Cannot fetch "${text}": not a valid URL`);
  }
  return targetOf(url);
}

/** The target for an already-parsed http(s) URL, such as a redirect. *
 *
 * @example Resolve a redirect
 * ```ts
 * import { parseHttpUrl, targetOf } from "jsr:@sockit/sockit";
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
      `Cannot fetch "${url.href}": unsupported scheme "${
        url.protocol.slice(0, -1)
      }", use http or https`,
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
 * import { formatGetRequest, parseHttpUrl } from "jsr:@sockit/sockit";
 *
 * formatGetRequest(parseHttpUrl("example.com"), { headers: [["Accept", "text/html"]] });
 * ```
 */
export interface GetRequestOptions {
  /** Extra `[name, value]` headers; one with a default's name replaces it. */
  headers?: [string, string][];
  /** `User-Agent`, for example `sockit/0.1.0`. */
  userAgent?: string;
  /**
   * Send the Renoise seed's request instead: `GET <path> HTTP/1.0` with
   * only `Host` (and any extra headers).
   */
  http10?: boolean;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/i;

/**
 * Checks a `K: V` header line from a user and splits it. Throws a
 * `TypeError` naming the line when it is not a valid header.
 *
 * @example
 * ```ts
 * import { parseHeaderLine } from "jsr:@sockit/sockit";
 *
 * console.log(parseHeaderLine("Accept: text/plain")); // ["Accept", "text/plain"]
 * ```
 *
 * @param line `Name: value`.
 * @returns The name and the trimmed value.
 */
export function parseHeaderLine(line: string): [string, string] {
  const colon = line.indexOf(":");
  const name = colon > 0 ? line.slice(0, colon).trim() : "";
  const value = line.slice(colon + 1).trim();
  if (!TOKEN.test(name) || /[\r\n\0]/.test(value)) {
    throw new TypeError(`Cannot send header "${line}": use "Name: value"`);
  }
  return [name, value];
}

/**
 * The bytes of a GET request: `GET <path> HTTP/1.1` with `Host`,
 * `User-Agent`, `Accept: *\/*` and `Connection: close`, each replaceable.
 *
 * @example
 * ```ts
 * import { formatGetRequest, parseHttpUrl } from "jsr:@sockit/sockit";
 *
 * const request = formatGetRequest(parseHttpUrl("example.com/"), {
 *   userAgent: "sockit/0.1.0",
 * });
 * console.log(new TextDecoder().decode(request));
 * ```
 *
 * @param target From {@linkcode parseHttpUrl}.
 * @param options Extra headers, user agent, or the seed's HTTP/1.0 form.
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
  if (target.url.username !== "") {
    const credentials = `${decodeURIComponent(target.url.username)}:${
      decodeURIComponent(target.url.password)
    }`;
    defaults.push(["Authorization", `Basic ${btoa(credentials)}`]);
  }
  const headers = [...defaults];
  for (const [name, value] of options.headers ?? []) {
    const at = headers.findIndex(([n]) =>
      n.toLowerCase() === name.toLowerCase()
    );
    if (at >= 0) headers[at] = [name, value];
    else headers.push([name, value]);
  }
  const version = options.http10 ? "HTTP/1.0" : "HTTP/1.1";
  const lines = [`GET ${target.path} ${version}`];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  return new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n");
}
