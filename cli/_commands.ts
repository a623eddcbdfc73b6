import type { Command } from "@commander-js/extra-typings";

/**
 * One of sockit's commands as `sockit --help` lists it. Its arguments,
 * flags, help and action are in its module under cli/commands/, loaded only
 * for the command line that needs them: declaring every command costs more
 * than a whole `sockit --help` may take.
 */
export interface CommandSummary {
  name: string;
  /** What the list shows after the name: `[options]` and the arguments. */
  usage: string;
  description: string;
  /** Loads the module and returns what declares the rest of the command. */
  define(): Promise<(command: Command) => void>;
}

/** sockit's commands, in the order `sockit --help` lists them. */
export const COMMANDS: readonly CommandSummary[] = [
  {
    name: "echo-tcp",
    usage: "[options]",
    description:
      "Run a concurrent TCP echo server (RFC 862) that prints its events",
    define: async () => (await import("./commands/echo_tcp.ts")).echoTcpCommand,
  },
  {
    name: "echo-udp",
    usage: "[options]",
    description: "Run a UDP echo server: each datagram goes back to its sender",
    define: async () => (await import("./commands/echo_udp.ts")).echoUdpCommand,
  },
  {
    name: "send",
    usage: "[options] <host> [port] [message...]",
    description:
      "Send the message (or stdin) to a TCP or UDP peer and print its replies",
    define: async () => (await import("./commands/send.ts")).sendCommand,
  },
  {
    name: "get",
    usage: "[options] <url>",
    description: "HTTP GET over a raw socket: body to stdout, byte-exact",
    define: async () => (await import("./commands/get.ts")).getCommand,
  },
  {
    name: "scan",
    usage: "[options] <host> <ports...>",
    description:
      "TCP connect scan: which ports are open, closed or filtered (scan only hosts you may)",
    define: async () => (await import("./commands/scan.ts")).scanCommand,
  },
  {
    name: "listen",
    usage: "[options] [host] [port]",
    description:
      "Wait for a TCP connection (or UDP datagrams); copy it to stdout and stdin to it",
    define: async () => (await import("./commands/listen.ts")).listenCommand,
  },
  {
    name: "relay",
    usage: "[options] <listen> <target>",
    description:
      "Forward each client to a target and print the traffic as events",
    define: async () => (await import("./commands/relay.ts")).relayCommand,
  },
  {
    name: "osc",
    usage: "",
    description: "Send and dump Open Sound Control messages (oscsend, oscdump)",
    define: async () => (await import("./commands/osc.ts")).oscCommand,
  },
  {
    name: "completions",
    usage: "<shell>",
    description: "Print a completion script for bash, zsh or fish",
    define: async () =>
      (await import("./commands/completions.ts")).completionsCommand,
  },
];
