import type { Command } from "@commander-js/extra-typings";

/** `sockit get`: HTTP GET over a raw socket. */
export function getCommand(_program: Command): void {
}
