import { type Command, Option } from "@commander-js/extra-typings";
import {
  collect,
  durationOption,
  parseCountOrZero,
  parseDurationOrZero,
  parseSocketPath,
} from "../_options.ts";
import { helpFooter } from "../_help.ts";
import { ExitCode } from "../_exit.ts";
import { failureOf } from "../_failure.ts";
import { parseWriteOut } from "../_write_out.ts";

/** The command line of `get`, as commander parses it. */
export interface GetOptions {
  connectTimeout: number;
  /** Milliseconds; 0 (-m 0) or absent: no limit. */
  maxTime?: number;
  idleTimeout: number;
  header?: string[];
  include?: boolean;
  head?: boolean;
  raw?: boolean;
  /** commander keeps the dot: the key is literally `http1.0`. */
  "http1.0"?: boolean;
  location?: boolean;
  /** Infinity for --max-redirs -1. */
  maxRedirs: number;
  cacert?: string[];
  output?: string;
  remoteName?: boolean;
  fail?: boolean;
  failWithBody?: boolean;
  verbose?: boolean;
  unixSocket?: string;
  silent?: boolean;
  showError?: boolean;
  userAgent?: string;
  user?: string;
  ipv4?: boolean;
  ipv6?: boolean;
  writeOut?: string;
  compressed?: boolean;
}

/** `sockit get`: HTTP GET over a raw socket, with curl's flags. */
export function getCommand(command: Command): void {
  command
    .argument(
      "<url>",
      "http://host[:port]/path, https://…, or host[:port][/path]",
    )
    .addOption(
      durationOption("--connect-timeout <duration>", "connect timeout", 2000),
    )
    .option(
      "-m, --max-time <duration>",
      "longest time for the whole transfer, redirects included (0: none)",
      parseDurationOrZero,
    )
    .addOption(
      durationOption(
        "--idle-timeout <duration>",
        "longest silence while reading (500ms reproduces the seed)",
        10_000,
      ),
    )
    .option(
      "-H, --header <header>",
      'extra "Name: value" header (repeatable); "Name:" removes one',
      collect,
    )
    .option("-A, --user-agent <name>", "the User-Agent header")
    .option("-u, --user <user:password>", "HTTP Basic authentication")
    .addOption(
      new Option("-i, --include", "write the status line and headers first")
        // --raw already writes the head, as received.
        .conflicts("raw"),
    )
    .option("-I, --head", "send HEAD and write the head only")
    .option("--raw", "write the exact bytes read from the socket")
    .option("--compressed", "ask for gzip or deflate and decode the body")
    .option("--http1.0", "send the seed's HTTP/1.0 request")
    .option("-L, --location", "follow 301, 302, 303, 307 and 308 redirects")
    .option(
      "--max-redirs <n>",
      "redirects to follow at most (-1: no limit)",
      parseMaxRedirs,
      10,
    )
    .option(
      "--cacert <file>",
      "also trust this PEM CA or self-signed certificate (repeatable)",
      collect,
    )
    .option(
      "-o, --output <file>",
      "write the body to a file; - means stdout",
    )
    .addOption(
      new Option("-O, --remote-name", "write to the URL's file name, here")
        .conflicts("output"),
    )
    .option(
      "-f, --fail",
      "exit 22 on HTTP status 400 and above, writing no body",
    )
    .addOption(
      new Option("--fail-with-body", "exit 22 on 400 and above, after the body")
        .conflicts("fail"),
    )
    .option(
      "-w, --write-out <format>",
      "write %{http_code}, %{size_download}, %{time_total}, %{url_effective}… after",
      parseWriteOut,
    )
    .option("-s, --silent", "no error line")
    .option("-S, --show-error", "with -s: still write the error line")
    .option("-4, --ipv4", "resolve names to IPv4 addresses only")
    .option("-6, --ipv6", "resolve names to IPv6 addresses only")
    .option("-v, --verbose", "write the request and response headers to stderr")
    .option(
      "--unix-socket <path>",
      "connect to this Unix socket (@name: abstract); http:// only",
      parseSocketPath,
    )
    .addHelpText(
      "after",
      helpFooter({
        examples: [
          [
            "sockit get -fsS -o page.html https://example.com/",
            "the body into page.html; exit 22 on a 400 or above",
          ],
          [
            "sockit get -I http://[::1]:8080/status",
            "HEAD: the status line and headers only",
          ],
          [
            "sockit get -L -w '%{http_code} %{url_effective}\\n' -o /dev/null example.com/old",
            "follow redirects; print where they led",
          ],
          [
            "sockit get --idle-timeout 500ms --http1.0 --raw www.renoise.com",
            "the Renoise guide's request, exactly",
          ],
        ],
        exitCodes: [
          ExitCode.Ok,
          ExitCode.Network,
          ExitCode.Usage,
          ExitCode.HttpError,
          ExitCode.WriteError,
          ExitCode.BrokenPipe,
        ],
      }),
    )
    .action(async (url, options) => {
      try {
        const { runGet } = await import("../run/get.ts");
        Deno.exitCode = await runGet(url, options);
      } catch (error) {
        if (!options.silent || options.showError) throw error;
        Deno.exitCode = failureOf(error).code;
      }
    });
}

/** `--max-redirs -1` means no limit, as in curl. */
function parseMaxRedirs(value: string): number {
  return value.trim() === "-1" ? Infinity : parseCountOrZero(value);
}
