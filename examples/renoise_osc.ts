/**
 * Drives Renoise over OSC: starts the transport, sets the tempo, plays a
 * note on the selected track, runs a line of Lua, and stops. Enable
 * Renoise's OSC server first (Preferences > OSC, UDP, port 8000).
 *
 *     deno run --allow-net examples/renoise_osc.ts [host] [port]
 *
 * @module
 */
import { createOscClient } from "../lib/mod.ts";

const host = Deno.args[0] ?? "localhost";
const port = Number(Deno.args[1] ?? 8000);
const NOTE_MS = 500;

/** Renoise's realtime messages want ints, and plain numbers are floats. */
const int = (value: number) => ({ type: "i" as const, value });

// Renoise never answers OSC, so UDP is fire and forget.
await using renoise = await createOscClient(host, port);
console.error(`sending OSC to udp ${host}:${port}`);

await renoise.send("/renoise/transport/start");
await renoise.send("/renoise/song/bpm", 127.5);
// Instrument 1, the selected track (-1), C-4 (48), velocity 100.
await renoise.send(
  "/renoise/trigger/note_on",
  int(1),
  int(-1),
  int(48),
  int(100),
);
await new Promise((resolve) => setTimeout(resolve, NOTE_MS));
await renoise.send("/renoise/trigger/note_off", int(1), int(-1), int(48));
await renoise.send(
  "/renoise/evaluate",
  "renoise.app():show_status('hello from sockit')",
);
await renoise.send("/renoise/transport/stop");
