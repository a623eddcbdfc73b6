import {
  basicAuthorization,
  createClient,
  formatGetRequest,
  HttpParseError,
  type HttpResponseHead,
  HttpResponseParser,
  type HttpTarget,
  parseHeaderLine,
  parseHttpUrl,
  type SocketClient,
  SocketError,
  targetOf,
} from "../../lib/mod.ts";
import type { GetOptions } from "../commands/get.ts";
import { familyOf } from "../_options.ts";
import {
  ExitCode,
  HttpStatusError,
  InterruptedError,
  UsageError,
  WriteError,
} from "../_exit.ts";
import { shutdownSignal } from "../_shutdown.ts";
import { failureOf, messageOf } from "../_failure.ts";
import { formatPeer } from "../_peer_text.ts";
import { readCaCerts } from "../_tls_files.ts";
import { escapeBytes } from "../_escape.ts";
import { idleError, isCleanClose } from "../_session_end.ts";
import { writeAll } from "../_stdio.ts";
import { concatBytes } from "../../lib/_bytes.ts";
import { urlForDisplay } from "../../lib/http/_url_text.ts";
import {
  isCredentialHeader,
  redactedHeaderLine,
} from "../../lib/http/_credentials.ts";
import { urlAuthorization } from "../../lib/http/request.ts";
import { type GetOutput, openGetOutput } from "../_get_output.ts";
import { ACCEPT_ENCODING, ContentDecoder } from "../_content_decoder.ts";
import { formatWriteOut, type TransferFacts } from "../_write_out.ts";
import denoJson from "../../deno.json" with { type: "json" };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** What the whole run learned, for `--write-out`. */
type Facts = Omit<TransferFacts, "totalMs" | "exitCode">;

/** Fetches `url` and resolves with the exit code. */
export async function runGet(
  url: string,
  options: GetOptions,
): Promise<number> {
  const started = performance.now();
  const plan = planOf(url, options);
  const facts: Facts = {
    httpCode: 0,
    sizeDownload: 0,
    sizeHeader: 0,
    urlEffective: plan.target.url.href,
    redirects: 0,
    contentType: "",
    remoteIp: "",
    remotePort: 0,
  };
  let exitCode: number = ExitCode.Network;
  try {
    exitCode = await transfer(plan, options, facts);
    return exitCode;
  } catch (error) {
    exitCode = failureOf(error).code;
    throw error;
  } finally {
    if (options.writeOut !== undefined) {
      const text = formatWriteOut(options.writeOut, {
        ...facts,
        totalMs: performance.now() - started,
        exitCode,
      });
      // The transfer's own error, if any, is the one to report.
      await writeAll(Deno.stdout, new TextEncoder().encode(text)).catch(
        () => {},
      );
    }
  }
}

interface Plan {
  target: HttpTarget;
  /** The user's headers (URL user:pass@, -A, --compressed, -u, -H), in order. */
  headers: [string, string | null][];
  family: 4 | 6 | undefined;
  outputPath: string | undefined;
  method: "GET" | "HEAD";
}

/** Every check of the command line, before anything touches the network. */
function planOf(url: string, options: GetOptions): Plan {
  try {
    const target = parseHttpUrl(url);
    // curl's model: the URL's user:pass@, -A, --compressed and -u set
    // sockit's own headers, a later one in place of an earlier (-u the
    // URL's); each -H is sent as given, the first of a name instead of
    // sockit's own. The URL's user:pass@ is a credential as -u is: it stays
    // on this origin, and comes back with the chain.
    const own = new Map<string, [string, string | null]>();
    const setOwn = (header: [string, string | null]) =>
      own.set(header[0].toLowerCase(), header);
    const fromUrl = urlAuthorization(target.url);
    if (fromUrl) setOwn(["Authorization", fromUrl]);
    if (options.userAgent !== undefined) {
      // Checked as -H is, so a line break cannot start a header of its own.
      setOwn(parseHeaderLine(`User-Agent: ${options.userAgent}`));
    }
    if (options.compressed) setOwn(["Accept-Encoding", ACCEPT_ENCODING]);
    if (options.user !== undefined) {
      // No colon means an empty password: curl would prompt for one.
      const colon = options.user.indexOf(":");
      const [user, password] = colon === -1
        ? [options.user, ""]
        : [options.user.slice(0, colon), options.user.slice(colon + 1)];
      setOwn(["Authorization", basicAuthorization(user, password)]);
    }
    const given = (options.header ?? []).map(parseHeaderLine);
    const named = new Set(given.map(([name]) => name.toLowerCase()));
    const headers = [
      ...[...own.values()].filter(([name]) => !named.has(name.toLowerCase())),
      ...given,
    ];
    return {
      target,
      headers,
      family: familyOf(target.host, options),
      outputPath: options.remoteName ? remoteName(target) : options.output,
      method: options.head ? "HEAD" : "GET",
    };
  } catch (error) {
    if (error instanceof TypeError) throw new UsageError(messageOf(error));
    throw error;
  }
}

/** `-O`: the last segment of the URL's path, as curl names the file. */
function remoteName(target: HttpTarget): string {
  const name = target.url.pathname.split("/").at(-1) ?? "";
  if (name === "") {
    throw new WriteError(
      `-O: "${urlForDisplay(target.url)}" names no file: use -o FILE`,
    );
  }
  return name;
}

async function transfer(
  plan: Plan,
  options: GetOptions,
  facts: Facts,
): Promise<number> {
  if (options.unixSocket !== undefined && plan.target.tls) {
    throw new UsageError("--unix-socket works with http:// URLs only");
  }
  const caCerts = options.cacert
    ? await readCaCerts(options.cacert)
    : undefined;
  // -m 0 is no limit, as in curl.
  const deadline = options.maxTime
    ? performance.now() + options.maxTime
    : undefined;
  const output = await openGetOutput(plan.outputPath);
  let ok = false;
  // SIGINT or SIGTERM mid-transfer: the output is finished as after any
  // failure (no temporary file left behind), then the exit is silent.
  const done = new AbortController();
  const stopped = shutdownSignal(done.signal).then((signal) => {
    throw new InterruptedError(signal);
  });
  const chain = redirectChain({
    plan,
    options,
    caCerts,
    deadline,
    output,
    facts,
  });
  // What the abandoned chain does after a signal no longer matters.
  chain.catch(() => {});
  try {
    const code = await Promise.race([chain, stopped]);
    ok = code === ExitCode.Ok;
    return code;
  } finally {
    done.abort();
    await output.finish(ok);
  }
}

/** Fetches the URL and the redirects it leads to; resolves with the code. */
async function redirectChain(context: FetchContext): Promise<number> {
  const { plan, options, facts } = context;
  let target = plan.target;
  for (let redirects = 0;; redirects++) {
    const hop = hopHeaders(plan, target, options);
    const fetched = await fetchOnce(target, hop, context);
    if (fetched.next === undefined) return fetched.code;
    if (redirects >= options.maxRedirs) {
      throw new SocketError(
        "failed",
        `Cannot fetch "${
          urlForDisplay(plan.target.url)
        }": more than ${options.maxRedirs} redirects`,
      );
    }
    target = fetched.next;
    facts.redirects = redirects + 1;
    facts.urlEffective = target.url.href;
  }
}

/**
 * The headers for one hop. The user's credentials (-u, `Authorization`,
 * `Cookie`) go only to the origin the user named, so never from https
 * down to http either; a Location's own user name is dropped on such a
 * downgrade.
 */
function hopHeaders(
  plan: Plan,
  target: HttpTarget,
  options: GetOptions,
): [string, string | null][] {
  if (target.url.origin === plan.target.url.origin) return plan.headers;
  // The user's Host names the host the user named, as curl keeps it.
  const otherHost = target.url.hostname !== plan.target.url.hostname;
  const dropped = plan.headers.filter(([name, value]) =>
    isCredentialHeader(name) && value !== null
  ).map(([name]) => name);
  const downgrade = plan.target.tls && !target.tls;
  if (downgrade && target.url.username !== "") {
    target.url.username = "";
    target.url.password = "";
    dropped.push("the Location's user name");
  }
  if (options.verbose && dropped.length > 0) {
    writeNote(
      `${
        downgrade
          ? "redirect from https down to http"
          : "redirect to another origin"
      } (${target.url.origin}): following without ${dropped.join(", ")}`,
    );
  }
  return plan.headers.filter(([name]) =>
    !isCredentialHeader(name) &&
    !(otherHost && name.toLowerCase() === "host")
  );
}

interface FetchContext {
  plan: Plan;
  options: GetOptions;
  caCerts: string[] | undefined;
  deadline: number | undefined;
  output: GetOutput;
  facts: Facts;
}

interface FetchResult {
  code: number;
  /** Where a followed redirect points. */
  next?: HttpTarget;
}

async function fetchOnce(
  target: HttpTarget,
  headers: [string, string | null][],
  context: FetchContext,
): Promise<FetchResult> {
  const { plan, options, output, facts } = context;
  const request = formatGetRequest(target, {
    headers,
    http10: options["http1.0"] ?? false,
    method: plan.method,
    userAgent: `sockit/${denoJson.version}`,
  });
  if (options.verbose) writeHead(">", request);
  const connectMs = within(context.deadline, options.connectTimeout);
  let connection: SocketClient;
  try {
    // --unix-socket: the URL names the host for the request, the path is
    // where it goes (curl's Docker-style use).
    connection = options.unixSocket !== undefined
      ? await createClient({ path: options.unixSocket })
      : await createClient(target.host, target.port, {
        timeout: connectMs.ms,
        family: plan.family,
        tls: target.tls ? { caCerts: context.caCerts } : undefined,
      });
  } catch (error) {
    if (connectMs.capped && isTimeout(error)) throw maxTimeError(options);
    throw error;
  }
  await using client = connection;
  facts.remoteIp = client.peerAddress;
  facts.remotePort = client.peerPort;
  await client.send(request);
  const endpoint = formatPeer({ address: target.host, port: target.port });
  const parser = new HttpResponseParser({ method: plan.method });
  let head: HttpResponseHead | undefined;
  let follow: HttpTarget | undefined;
  let writeBody = false;
  let writeRaw = false;
  /** Undoes the Content-Encoding (--compressed). */
  let decoder: ContentDecoder | undefined;
  /** Undoes a Transfer-Encoding other than chunked, before the decoder. */
  let unwrapper: ContentDecoder | undefined;
  /** --raw: socket bytes held until the head says whether to write them. */
  const held: Uint8Array[] = [];
  const body = (bytes: Uint8Array) => output.writeBody(bytes);
  const failed = (head: HttpResponseHead) =>
    head.status >= 400 && options.fail === true;
  facts.sizeDownload = 0;

  try {
    for await (const chunk of chunks(client, options, context.deadline)) {
      if (chunk === null) {
        parser.end();
        break;
      }
      const pieces = parser.push(chunk);
      if (!head && parser.head) {
        head = parser.head;
        if (options.verbose) writeHead("<", head.raw);
        facts.httpCode = head.status;
        facts.sizeHeader += head.raw.length;
        facts.contentType = headerValue(head, "content-type") ?? "";
        follow = options.location ? redirectTarget(head, target) : undefined;
        writeRaw = follow === undefined && !failed(head);
        writeBody = writeRaw && !options.head;
        if (
          (options.include || options.head) && !options.raw && !failed(head)
        ) {
          await output.writeHead(head.raw);
        }
        if (writeBody && options.compressed && !options.raw) {
          decoder = ContentDecoder.for(
            headerList(head, "content-encoding"),
            body,
            parser.framing === "close",
          );
        }
        if (writeBody && !options.raw) {
          const inner = decoder;
          unwrapper = ContentDecoder.for(
            transferCodings(head),
            inner ? (bytes) => inner.write(bytes) : body,
            parser.framing === "close",
          );
        }
      }
      // A redirect being followed is done with at its head, as curl leaves
      // it: its body is never written, and one with no end in sight (no
      // length, the connection kept open) or cut short must not fail the
      // chain. So is a -f failure: curl reads no body (size_download 0).
      if (follow || (head && failed(head))) break;
      facts.sizeDownload = parser.bodyBytes;
      if (options.raw) {
        held.push(chunk);
        // Once the head is known: one write for what it held back (or
        // nothing, for a redirect or -f), then one per read.
        const bytes = head ? concatBytes(held.splice(0)) : undefined;
        if (bytes && writeRaw) await body(bytes);
      } else if (writeBody && pieces[0]) {
        // The parser hands back one piece per read, so this is one write
        // per read: 300,000 one-byte chunks were once 300,000 writes.
        const first = unwrapper ?? decoder;
        await (first ? first.write(pieces[0]) : body(pieces[0]));
      }
      // Written first, as curl writes them: the good chunks before a bad one.
      if (parser.fault) throw parser.fault;
      if (parser.done) break;
    }
    if (!head) throw new HttpParseError("no response");
    await unwrapper?.end();
    await decoder?.end();
    // As curl -i: a chunked body's trailers follow it.
    if (options.include && writeBody && !options.raw) {
      const trailers = parser.trailers;
      if (trailers.length > 0) await output.writeHead(trailers);
    }
  } catch (error) {
    throw describeParseError(error, endpoint);
  }
  if (follow) return { code: ExitCode.Ok, next: follow };
  if ((options.fail || options.failWithBody) && head.status >= 400) {
    throw new HttpStatusError(
      `${endpoint} answered ${head.status} ${
        escapeBytes(latin1Bytes(head.reason))
      }`.trimEnd(),
    );
  }
  return { code: ExitCode.Ok };
}

/** A timeout capped by `--max-time`, and whether the cap is what binds. */
function within(
  deadline: number | undefined,
  ms: number,
): { ms: number; capped: boolean } {
  if (deadline === undefined) return { ms, capped: false };
  const left = Math.max(1, Math.ceil(deadline - performance.now()));
  return left < ms ? { ms: left, capped: true } : { ms, capped: false };
}

function isTimeout(error: unknown): boolean {
  return error instanceof SocketError && error.code === "timeout";
}

function maxTimeError(options: GetOptions): SocketError {
  return new SocketError(
    "timeout",
    `Cannot fetch: the transfer took longer than --max-time ${options.maxTime} ms`,
  );
}

/**
 * Chunks from the socket until the peer closes (`null`). Silence longer
 * than `--idle-timeout` is an error, but only while the framing wants more
 * bytes: the loop above stops reading as soon as the body is complete.
 */
async function* chunks(
  client: SocketClient,
  options: GetOptions,
  deadline: number | undefined,
): AsyncGenerator<Uint8Array | null> {
  while (true) {
    const wait = within(deadline, options.idleTimeout);
    try {
      yield await client.receiveBytes("*all", wait.ms);
    } catch (error) {
      if (isCleanClose(error)) {
        yield null;
        return;
      }
      if (isTimeout(error)) {
        throw wait.capped
          ? maxTimeError(options)
          : idleError(client.peer, options.idleTimeout);
      }
      throw error;
    }
  }
}

function headerValue(head: HttpResponseHead, name: string): string | undefined {
  return head.headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

/**
 * Every line of a list header joined into one list (RFC 9110, section
 * 5.3): `Content-Encoding: gzip` twice is `gzip, gzip`, two codings.
 */
function headerList(head: HttpResponseHead, name: string): string | undefined {
  const values = head.headers.filter(([n]) => n.toLowerCase() === name)
    .map(([, value]) => value);
  return values.length === 0 ? undefined : values.join(", ");
}

/**
 * The transfer codings the parser does not undo: all but a final
 * `chunked`, which frames the body. curl undoes a `gzip` or `deflate` one
 * whether or not `--compressed` was given, as the sender's wrapping, not
 * the content.
 */
function transferCodings(head: HttpResponseHead): string | undefined {
  const codings = (headerList(head, "transfer-encoding") ?? "").split(",")
    .map((coding) => coding.trim());
  if (codings.at(-1)?.toLowerCase() === "chunked") codings.pop();
  return codings.join(", ");
}

function redirectTarget(
  head: HttpResponseHead,
  current: HttpTarget,
): HttpTarget | undefined {
  if (!REDIRECTS.has(head.status)) return undefined;
  const location = headerValue(head, "location");
  if (!location) return undefined;
  try {
    return targetOf(new URL(percentEncodedHighBytes(location), current.url));
  } catch {
    throw new HttpParseError(
      `redirect to an unusable Location "${
        escapeBytes(latin1Bytes(location))
      }"`,
    );
  }
}

/**
 * A Location with its bytes above 0x7F as `%XX`, as curl sends them. The
 * parser reads header bytes as latin1, so `new URL()` alone would encode
 * each byte of a UTF-8 `/é` as a character of its own (`/%C3%83%C2%A9`).
 */
function percentEncodedHighBytes(location: string): string {
  return location.replace(
    /[\x80-\xff]/g,
    (byte) => `%${byte.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function describeParseError(error: unknown, endpoint: string): unknown {
  if (!(error instanceof HttpParseError)) return error;
  return new HttpParseError(
    `Bad response from "${endpoint}": ${error.message}`,
  );
}

/** A header value as the bytes it came from (the parser reads latin1). */
function latin1Bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

/**
 * `-v`: a head as curl shows it, each line escaped for the terminal, with
 * the values of the request's credentials hidden (as git's trace does):
 * verbose output gets pasted into bug reports and CI logs.
 */
function writeHead(prefix: string, raw: Uint8Array): void {
  const lines: string[] = [];
  const show = (bytes: Uint8Array) => {
    const line = escapeBytes(bytes);
    lines.push(`${prefix} ${prefix === ">" ? redactedHeaderLine(line) : line}`);
  };
  let start = 0;
  for (let lf = raw.indexOf(0x0a); lf !== -1; lf = raw.indexOf(0x0a, start)) {
    const end = lf > start && raw[lf - 1] === 0x0d ? lf - 1 : lf;
    if (end > start) show(raw.subarray(start, end));
    start = lf + 1;
  }
  if (start < raw.length) show(raw.subarray(start));
  console.error(lines.join("\n"));
}

/** `-v`: a note about a choice `get` made, as curl's `* ` lines. */
function writeNote(text: string): void {
  console.error(`* ${text}`);
}
