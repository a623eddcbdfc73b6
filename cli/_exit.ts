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
   * `get`: the output could not be written (a bad `-o` path, a full disk),
   * or binary output was refused on a terminal, as curl.
   */
  WriteError: 23,
  /**
   * stdout's reader went away (`| head`): 128 + SIGPIPE, silently, as a
   * Unix tool killed by SIGPIPE would end.
   */
  BrokenPipe: 141,
  /** `get` or `send` (events on) stopped by SIGINT: 128 + 2, as if killed. */
  Interrupted: 130,
  /** `get` or `send` (events on) stopped by SIGTERM: 128 + 15. */
  Terminated: 143,
  /** `get` or `send` (events on) stopped by SIGHUP: 128 + 1. */
  HungUp: 129,
} as const;

/**
 * 128 + the signal's number, as a process killed by it exits; `SIGPIPE`
 * (stdout's reader went away) is 141.
 */
export function signalExitCode(signal: Deno.Signal): number {
  return signal === "SIGINT"
    ? ExitCode.Interrupted
    : signal === "SIGTERM"
    ? ExitCode.Terminated
    : signal === "SIGHUP"
    ? ExitCode.HungUp
    : ExitCode.BrokenPipe;
}

/**
 * `get` was stopped by SIGINT or SIGTERM mid-transfer: silent, exit 130 or
 * 143 as if the signal had killed it, once `-o`'s temporary file is gone.
 */
export class InterruptedError extends Error {
  /** The signal that stopped the transfer. */
  readonly signal: Deno.Signal;

  /**
   * Constructs a new instance.
   *
   * @param signal The signal that stopped the transfer.
   */
  constructor(signal: Deno.Signal) {
    super(`stopped by ${signal}`);
    this.name = "InterruptedError";
    this.signal = signal;
  }
}

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

/** `get -f`: the server answered 400 or above (exit 22). */
export class HttpStatusError extends Error {
  /**
   * Constructs a new instance.
   *
   * @param message The endpoint and the status, escaped for a terminal.
   */
  constructor(message: string) {
    super(message);
    this.name = "HttpStatusError";
  }
}

/** `get`: the output could not be written, or was refused (exit 23). */
export class WriteError extends Error {
  /**
   * Constructs a new instance.
   *
   * @param message What could not be written, naming the file.
   */
  constructor(message: string) {
    super(message);
    this.name = "WriteError";
  }
}
