/**
 * Collects the figures the stress tests measure and prints them as one
 * summary when the test process ends, so CI logs carry them.
 *
 * @module
 */

const figures: [string, string][] = [];

/** Records one measured figure for the closing summary. */
export function record(name: string, value: string): void {
  figures.push([name, value]);
}

globalThis.addEventListener("unload", () => {
  if (figures.length === 0) return;
  const width = Math.max(...figures.map(([name]) => name.length));
  const lines = figures.map(([name, value]) =>
    `  ${name.padEnd(width)}  ${value}`
  );
  console.log(`\nstress summary (measured in this run)\n${lines.join("\n")}`);
});

/**
 * Resident memory of process `pid`, in bytes (Linux /proc). Read through
 * `cat`: Deno asks for --allow-all to read /proc itself.
 */
export function rssOf(pid: number): number {
  const output = new Deno.Command("cat", { args: [`/proc/${pid}/status`] })
    .outputSync();
  const status = new TextDecoder().decode(output.stdout);
  const kib = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kib * 1024;
}

/** `n` bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Runs `tasks` with at most `limit` in flight. */
export async function pool<T>(
  count: number,
  limit: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  });
  await Promise.all(workers);
  return results;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
