/** sockit's exit codes, as documented in the README. */
export const ExitCode = {
  /** The session or server ended normally. */
  Ok: 0,
  /** Refused, unreachable, reset, DNS failure, timeout, bad response. */
  Network: 1,
  /** A bad command line: unknown flag, bad value, missing argument. */
  Usage: 2,
  /** `get -f`: the server answered with status 400 or above, as curl. */
  HttpError: 22,
  /**
   * stdout's reader went away (`| head`): 128 + SIGPIPE, silently, as a
   * Unix tool killed by SIGPIPE would end.
   */
  BrokenPipe: 141,
} as const;

/** A command line that parses but makes no sense, such as `-4 -6`. */
export class UsageError extends Error {
  /**
   * Constructs a new instance.
   *
   * @param message What is wrong, naming the value.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
