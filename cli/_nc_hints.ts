/**
 * nc, ncat and socat flags whose job is another sockit command or flag, or
 * none: an unknown option line says where that job is (`nc -zv` is
 * `sockit scan`). A third element limits a hint to those commands.
 */
const NC_HINTS: [RegExp, string, string[]?][] = [
  [/^-z/, "port scans: sockit scan HOST PORTS"],
  [/^-l/, "to wait for a connection: sockit listen PORT"],
  // ncat's -c is its --sh-exec.
  [
    /^(?:-[ec]|--exec$|--sh-exec$|--lua-exec$)/,
    "sockit runs no program for a peer: see Known limits",
  ],
  [
    /^(?:-U|--unixsock$)/,
    "Unix sockets: sockit send unix:PATH, sockit listen --unix PATH",
  ],
  [
    /^--ssl/,
    "TLS: sockit send --tls, sockit listen --tls-cert FILE --tls-key FILE",
  ],
  [
    /^-w/,
    "listen's timeouts: -i, --idle-timeout and -q, --quit-after",
    ["listen"],
  ],
  [
    /^-s/,
    "the address to listen on: sockit listen HOST PORT, or --host HOST",
    ["listen"],
  ],
  // nc's client -s and -p choose the source address and port.
  [
    /^(?:-[sp]|--source$|--source-port$)/,
    "send picks its own source address and port: see Known limits",
    ["send"],
  ],
  [
    /^-k/,
    "to keep accepting connections: sockit listen -k PORT",
    ["send"],
  ],
  // nc's -X/-x and -P, ncat's --proxy*.
  [
    /^(?:-[XP]|--proxy)/,
    "sockit connects directly, through no proxy: see Known limits",
  ],
  [/^--send-only$/, "to discard what the peer sends: > /dev/null"],
  [/^--nodns$/, "no name lookups: -n, --numeric"],
  // ncat writes these to a file; sockit writes them where a shell redirects.
  [/^--hex-dump$/, "a hex dump on stderr: -x, --hex 2>FILE"],
  [/^(?:-o|--output$)/, "stdout is the data: > FILE"],
  // OpenBSD nc's -d reads no stdin; ncat's --recv-only sends nothing.
  [/^(?:-d$|--recv-only$)/, "to send nothing: < /dev/null"],
];

/**
 * Commands whose users come from curl or oscsend, where the same letters
 * mean something else (curl's `-e` is `--referer`, `-z` `--time-cond`).
 */
const NOT_NC_COMMANDS = new Set(["get", "osc"]);

/**
 * `message` (a one-line unknown-option error) with the hint of the flag it
 * names, when that flag is an nc, ncat or socat habit and `command` (the
 * line's command word) is one whose users come from them.
 */
export function withNcHint(message: string, command?: string): string {
  if (command !== undefined && NOT_NC_COMMANDS.has(command)) return message;
  const option = /^unknown option '(-[^']*)'$/.exec(message)?.[1];
  if (option === undefined) return message;
  const hint = NC_HINTS.find(([flag, , only]) =>
    flag.test(option) &&
    (only === undefined || (command !== undefined && only.includes(command)))
  )?.[1];
  return hint === undefined ? message : `${message} (${hint})`;
}
