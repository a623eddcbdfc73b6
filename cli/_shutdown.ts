/**
 * SIGHUP too (a closed terminal): a server stops as cleanly as on SIGTERM,
 * removing its Unix socket file, as socat does; a client exits 129.
 */
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

const waiting = new Set<(signal: Deno.Signal) => void>();
let stdoutGone = false;
let stdoutFailure: Error | undefined;
let stopAt = -Infinity;

/**
 * Resolves with the first SIGINT, SIGTERM or SIGHUP, or with `"SIGPIPE"` once
 * stdout's reader went away (see {@linkcode stdoutBroke}). Listening turns
 * off Deno's default termination, so the caller must stop its servers and
 * exit itself; main() turns a broken stdout into exit 141. Aborting `until`
 * stops listening (the promise stays pending).
 */
export function shutdownSignal(
  until?: AbortSignal,
): Promise<Deno.Signal> {
  if (stdoutGone || stdoutFailure) return Promise.resolve("SIGPIPE");
  return new Promise((resolve) => {
    const handlers = SIGNALS.map((signal) => {
      const handler = () => {
        stopAt = performance.now();
        done(signal);
      };
      Deno.addSignalListener(signal, handler);
      return handler;
    });
    const stopListening = () => {
      SIGNALS.forEach((s, i) => Deno.removeSignalListener(s, handlers[i]!));
      waiting.delete(done);
    };
    const done = (signal: Deno.Signal) => {
      stopListening();
      resolve(signal);
    };
    waiting.add(done);
    // Deno's default termination is back once the work is done; the
    // promise then never settles.
    until?.addEventListener("abort", stopListening, { once: true });
  });
}

/**
 * When the first SIGINT, SIGTERM or SIGHUP came (`performance.now()`), or
 * `-Infinity`: event output gives a reader that had paused a fresh
 * chance from then to take the last events.
 */
export function stopRequestedAt(): number {
  return stopAt;
}

/**
 * Records that stdout's reader went away (EPIPE) and stops whatever awaits
 * {@linkcode shutdownSignal}, as a signal would: servers stop cleanly, then
 * the command exits 141.
 */
export function stdoutBroke(): void {
  stdoutGone = true;
  for (const done of [...waiting]) done("SIGPIPE");
}

/**
 * Records that stdout failed otherwise (a full disk) under a command whose
 * events are its data (`send --json`, `listen --json`), and stops it as
 * {@linkcode stdoutBroke} does; main() then fails with `error`: exit 1 and
 * its line, as a failed write of raw data does.
 */
export function stdoutFailed(error: Error): void {
  stdoutFailure ??= error;
  for (const done of [...waiting]) done("SIGPIPE");
}

/** The failure {@linkcode stdoutFailed} recorded, if any. */
export function stdoutFailureOf(): Error | undefined {
  return stdoutFailure;
}

/** Whether stdout's reader went away during this run. */
export function isStdoutBroken(): boolean {
  return stdoutGone;
}
