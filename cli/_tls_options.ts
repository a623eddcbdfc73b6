import { Option } from "@commander-js/extra-typings";
import type { TlsOptions } from "../lib/mod.ts";
import { UsageError } from "./_exit.ts";
import { collect } from "./_options.ts";
import { readCaCerts } from "./_tls_files.ts";

/**
 * The TLS flags of every command, declared once so that `send`, `relay`,
 * `listen` and `echo-tcp` spell and explain them alike.
 */
export function cacertOption(
  description =
    "also trust this PEM CA or self-signed certificate (repeatable)",
) {
  return new Option("--cacert <file>", description).argParser(collect);
}

/** `--servername NAME`: SNI and the name verified. */
export function servernameOption(
  description = "TLS: the SNI name and the name verified",
) {
  return new Option("--servername <name>", description);
}

/** `--tls-cert FILE`: serve TLS; checked with `--tls-key` before binding. */
export function tlsCertOption() {
  return new Option(
    "--tls-cert <file>",
    "serve TLS with this PEM certificate chain",
  );
}

/** `--tls-key FILE`, the private key of `--tls-cert`. */
export function tlsKeyOption() {
  return new Option("--tls-key <file>", "the PEM private key of --tls-cert");
}

/** The client-side TLS flags as commander parses them. */
export interface ClientTlsFlags {
  cacert?: string[];
  servername?: string;
  udp?: boolean;
}

/**
 * The client TLS settings for `createClient`, checked before connecting:
 * `--cacert` and `--servername` without `flag` (`--tls`, `--target-tls`)
 * are a mistake, as is TLS over UDP; every `--cacert` file is read now.
 */
export async function clientTlsOf(
  enabled: boolean | undefined,
  flag: string,
  options: ClientTlsFlags,
): Promise<TlsOptions | undefined> {
  if (!enabled) {
    const stray = options.cacert
      ? "--cacert"
      : options.servername
      ? "--servername"
      : undefined;
    if (stray) throw new UsageError(`${stray} needs ${flag}`);
    return undefined;
  }
  if (options.udp) throw new UsageError(`${flag} needs TCP, not -u/--udp`);
  return {
    caCerts: options.cacert ? await readCaCerts(options.cacert) : undefined,
    hostname: options.servername,
  };
}
