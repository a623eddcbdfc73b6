import { InvalidArgumentError } from "@commander-js/extra-typings";

/** What `get -w/--write-out` can report, by curl's variable names. */
export interface TransferFacts {
  /** The last response's status, 0 when none arrived. */
  httpCode: number;
  /** Body bytes received (after chunked decoding), over the last response. */
  sizeDownload: number;
  /** Head bytes received, over every response. */
  sizeHeader: number;
  /** Milliseconds from start to end. */
  totalMs: number;
  /** The last URL fetched. */
  urlEffective: string;
  /** Redirects followed. */
  redirects: number;
  /** The last response's `Content-Type`, or empty. */
  contentType: string;
  /** The last peer's address and port, or empty and 0 (printed as 0, as curl). */
  remoteIp: string;
  remotePort: number;
  /** The exit code the command is about to return. */
  exitCode: number;
}

const VARIABLES: Record<string, (facts: TransferFacts) => string> = {
  http_code: (f) => String(f.httpCode).padStart(3, "0"),
  response_code: (f) => String(f.httpCode).padStart(3, "0"),
  size_download: (f) => String(f.sizeDownload),
  size_header: (f) => String(f.sizeHeader),
  time_total: (f) => (f.totalMs / 1000).toFixed(6),
  url_effective: (f) => f.urlEffective,
  num_redirects: (f) => String(f.redirects),
  content_type: (f) => f.contentType,
  remote_ip: (f) => f.remoteIp,
  remote_port: (f) => String(f.remotePort),
  exitcode: (f) => String(f.exitCode),
};

const PIECE = /%\{([^}]*)\}|%%|\\([nrt\\])/g;
const ESCAPES: Record<string, string> = {
  n: "\n",
  r: "\r",
  t: "\t",
  "\\": "\\",
};

/**
 * Checks a `--write-out` template as commander parses it: an unknown
 * variable is a usage error naming it (curl only warns and prints nothing).
 */
export function parseWriteOut(template: string): string {
  for (const [, name] of template.matchAll(PIECE)) {
    if (name !== undefined && !(name in VARIABLES)) {
      throw new InvalidArgumentError(
        `unknown --write-out variable "%{${name}}": use one of ${
          Object.keys(VARIABLES).join(", ")
        }`,
      );
    }
  }
  return template;
}

/** The template with `%{var}`, `%%` and `\n`, `\r`, `\t`, `\\` replaced. */
export function formatWriteOut(template: string, facts: TransferFacts): string {
  return template.replace(
    PIECE,
    (_, name: string | undefined, escape: string | undefined) => {
      if (name !== undefined) return VARIABLES[name]?.(facts) ?? "";
      if (escape !== undefined) return ESCAPES[escape]!;
      return "%";
    },
  );
}
