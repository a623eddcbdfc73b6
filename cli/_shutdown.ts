const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/**
 * Resolves with the first SIGINT or SIGTERM. Listening turns off Deno's
 * default termination, so the caller must stop its servers and exit itself.
 */
export function shutdownSignal(): Promise<Deno.Signal> {
  return new Promise((resolve) => {
    const handlers = SIGNALS.map((signal) => {
      const handler = () => {
        SIGNALS.forEach((s, i) => Deno.removeSignalListener(s, handlers[i]!));
        resolve(signal);
      };
      Deno.addSignalListener(signal, handler);
      return handler;
    });
  });
}
