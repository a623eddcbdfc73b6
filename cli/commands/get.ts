import { type Command, Option } from "@commander-js/extra-typings";
import {
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
import { collect, durationOption, parseCountOrZero } from "../_options.ts";
import { writeAll } from "../_stdio.ts";
import { ExitCode, UsageError } from "../_exit.ts";
import { messageOf } from "../_failure.ts";
import { formatPeer } from "../_events.ts";
import { helpFooter } from "../_help.ts";
import { idleError, isCleanClose } from "../_session_end.ts";
import denoJson from "../../deno.json" with { type: "json" };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** The command line of `get`, as commander parses it. */
export interface GetOptions {
  wait: number;
  idleTimeout: number;
  header?: string[];
  include?: boolean;
  raw?: boolean;
  /** commander keeps the dot: the key is literally `http1.0`. */
  "http1.0"?: boolean;
  location?: boolean;
  maxRedirs: number;
  cacert?: string;
  output?: string;
  fail?: boolean;
  verbose?: boolean;
}

/** `sockit get`: the seed's HTTP GET, with real framing, TLS and timeouts. */
export function getCommand(program: Command): void {
  program
    .command("get")
    .description("HTTP GET over a raw socket: body to stdout, byte-exact")
    .argument(
      "<url>",
      "http://host[:port]/path, https://…, or host[:port][/path]",
    )
    .addOption(durationOption("-w, --wait <duration>", "connect timeout", 2000))
    .addOption(
      durationOption(
        "-i, --idle-timeout <duration>",
        "longest silence while reading (500ms reproduces the seed)",
        10_000,
      ),
    )
    .option(
      "-H, --header <header>",
      'extra "Name: value" header (repeatable)',
      collect,
    )
    .addOption(
      new Option("-I, --include", "write the status line and headers first")
        // --raw already writes the head, as received.
        .conflicts("raw"),
    )
    .option("--raw", "write the exact bytes read from the socket")
    .option("--http1.0", "send the seed's HTTP/1.0 request")
    .option("-L, --location", "follow 301, 302, 303, 307 and 308 redirects")
    .option(
      "--max-redirs <n>",
      "redirects to follow at most",
      parseCountOrZero,
      10,
    )
    .option("--cacert <file>", "also trust this PEM CA certificate")
    .option("-o, --output <file>", "write the body to a file, not stdout")
    .option(
      "-f, --fail",
      "exit 22 on HTTP status 400 and above, writing no body",
    )
    .option("-v, --verbose", "write the request and response headers to stderr")
    .addHelpText(
      "after",
      helpFooter({
        examples: [
          [
            "sockit get https://example.com/",
            "the body, byte-exact, to stdout",
          ],
          [
            "sockit get -L -o page.html http://example.com/",
            "follow redirects; the body into page.html",
          ],
          [
            "sockit get -f localhost:8000/health",
            "exit 22, printing no body, if the status is 400 or above",
          ],
        ],
        exitCodes: [
          ExitCode.Ok,
          ExitCode.Network,
          ExitCode.Usage,
          ExitCode.HttpError,
          ExitCode.BrokenPipe,
        ],
      }),
    )
    .action(async (url, options) => {
      Deno.exitCode = await runGet(url, options);
    });
}

/** Fetches `url` and resolves with the exit code. */
export async function runGet(
  url: string,
  options: GetOptions,
): Promise<number> {
  let target: HttpTarget;
  let headers: [string, string][];
  try {
    target = parseHttpUrl(url);
    headers = (options.header ?? []).map(parseHeaderLine);
  } catch (error) {
    throw new UsageError(messageOf(error));
  }
  const caCerts = options.cacert
    ? [await readCaCert(options.cacert)]
    : undefined;
  const output = options.output
    ? await openOutput(options.output)
    : Deno.stdout;
  try {
    for (let redirects = 0;; redirects++) {
      const fetched = await fetchOnce(
        target,
        headers,
        caCerts,
        options,
        output,
      );
      if (fetched.next === undefined) return fetched.code;
      if (redirects >= options.maxRedirs) {
        throw new SocketError(
          "failed",
          `Cannot fetch "${url}": more than ${options.maxRedirs} redirects`,
        );
      }
      target = fetched.next;
    }
  } finally {
    if (output !== Deno.stdout) output.close();
  }
}

interface FetchResult {
  code: number;
  /** Where a followed redirect points. */
  next?: HttpTarget;
}

async function fetchOnce(
  target: HttpTarget,
  headers: [string, string][],
  caCerts: string[] | undefined,
  options: GetOptions,
  output: { write(bytes: Uint8Array): Promise<number> },
): Promise<FetchResult> {
  const request = formatGetRequest(target, {
    headers,
    http10: options["http1.0"] ?? false,
    userAgent: `sockit/${denoJson.version}`,
  });
  if (options.verbose) writeVerbose(">", new TextDecoder().decode(request));
  await using client = await createClient(target.host, target.port, {
    timeout: options.wait,
    tls: target.tls ? { caCerts } : undefined,
  });
  await client.send(request);
  const endpoint = formatPeer({ address: target.host, port: target.port });
  const parser = new HttpResponseParser();
  let head: HttpResponseHead | undefined;
  let follow: HttpTarget | undefined;
  let writeBody = true;
  const write = (bytes: Uint8Array) => writeAll(output, bytes);

  try {
    for await (const chunk of chunks(client, options.idleTimeout)) {
      if (chunk === null) {
        parser.end();
        break;
      }
      const body = parser.push(chunk);
      if (!head && parser.head) {
        head = parser.head;
        if (options.verbose) {
          writeVerbose("<", new TextDecoder().decode(head.raw));
        }
        follow = options.location ? redirectTarget(head, target) : undefined;
        writeBody = follow === undefined &&
          !(options.fail && head.status >= 400);
        if (writeBody && options.include && !options.raw) await write(head.raw);
      }
      if (options.raw && writeBody) await write(chunk);
      else if (writeBody) { for (const piece of body) await write(piece); }
      if (parser.done) break;
    }
    if (!head) throw new HttpParseError("no response");
  } catch (error) {
    throw describeParseError(error, endpoint);
  }
  if (follow) return { code: ExitCode.Ok, next: follow };
  if (options.fail && head.status >= 400) {
    console.error(
      `sockit: ${endpoint} answered ${head.status} ${head.reason}`.trimEnd(),
    );
    return { code: ExitCode.HttpError };
  }
  return { code: ExitCode.Ok };
}

/**
 * Chunks from the socket until the peer closes (`null`). Silence longer
 * than `idleMs` is an error, but only while the framing wants more bytes:
 * the loop above stops reading as soon as the body is complete.
 */
async function* chunks(
  client: SocketClient,
  idleMs: number,
): AsyncGenerator<Uint8Array | null> {
  while (true) {
    try {
      yield await client.receiveBytes("*all", idleMs);
    } catch (error) {
      if (isCleanClose(error)) {
        yield null;
        return;
      }
      if (error instanceof SocketError && error.code === "timeout") {
        throw idleError(client.peer, idleMs);
      }
      throw error;
    }
  }
}

function redirectTarget(
  head: HttpResponseHead,
  current: HttpTarget,
): HttpTarget | undefined {
  if (!REDIRECTS.has(head.status)) return undefined;
  const location = head.headers.find(([name]) =>
    name.toLowerCase() === "location"
  )?.[1];
  if (!location) return undefined;
  try {
    return targetOf(new URL(location, current.url));
  } catch {
    throw new HttpParseError(
      `redirect to an unusable Location ${JSON.stringify(location)}`,
    );
  }
}

function describeParseError(error: unknown, endpoint: string): unknown {
  if (!(error instanceof HttpParseError)) return error;
  return new HttpParseError(
    `Bad response from "${endpoint}": ${error.message}`,
  );
}

async function readCaCert(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new UsageError(
      `cannot read CA file "${path}": ${messageOf(error)}`,
    );
  }
}

async function openOutput(path: string): Promise<Deno.FsFile> {
  try {
    return await Deno.open(path, { write: true, create: true, truncate: true });
  } catch (error) {
    throw new UsageError(
      `cannot write "${path}": ${messageOf(error)}`,
    );
  }
}

function writeVerbose(prefix: string, text: string): void {
  const lines = text.split(/\r?\n/).filter((line) => line !== "");
  console.error(lines.map((line) => `${prefix} ${line}`).join("\n"));
}
