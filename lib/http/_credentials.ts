/**
 * Headers that carry the user's credentials. They are never shown (`-v`,
 * error lines) and never sent to another origin. Proxy-Authorization is
 * one too: sockit has no proxy, so it is a secret typed for this origin
 * (curl 7.88 forwards it on a redirect).
 */
const CREDENTIAL_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
]);

/** Whether the header `name` carries a credential. */
export function isCredentialHeader(name: string): boolean {
  return CREDENTIAL_HEADERS.has(name.trim().toLowerCase());
}

/**
 * A header line as it may be shown: a credential's value becomes
 * `<redacted>`, after its scheme (`Basic`, `Bearer`) for an Authorization.
 */
export function redactedHeaderLine(line: string): string {
  const colon = line.indexOf(":");
  if (colon <= 0 || !isCredentialHeader(line.slice(0, colon))) return line;
  const name = line.slice(0, colon);
  const value = line.slice(colon + 1).trimStart();
  const scheme = /cookie/i.test(name) ? undefined : /^[^\s]+ /.exec(value)?.[0];
  return `${name}: ${scheme ?? ""}<redacted>`;
}
