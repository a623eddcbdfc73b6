/**
 * A URL as error and note lines may show it: the password of a
 * `user:pass@` becomes `***`, and a user name alone (often a token, as in
 * `https://TOKEN@host/`) becomes `***` too. Error lines end up in logs and
 * CI output, where a credential must not.
 *
 * A parsed URL's user information ends at its last `@` before the first
 * `/`, `?` or `#` (the parser percent-encodes those in it). A URL as typed
 * has no such end: a password may hold `/`, `?` or `#` (which is why it
 * was refused), so everything up to its last `@` is shown as `***`.
 */
export function urlForDisplay(url: URL | string): string {
  if (typeof url !== "string") {
    return url.href.replace(
      /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i,
      (_match, scheme: string, userinfo: string) =>
        `${scheme}${maskedUserinfo(userinfo)}@`,
    );
  }
  // Spaces, any run of slashes (backslashes too) and no scheme at all are
  // what a user may type, and what the parser refuses.
  const typed = /^(\s*(?:[a-z][a-z0-9+.-]*:)?[/\\]*)(.*)$/is.exec(url)!;
  const prefix = typed[1]!;
  const rest = typed[2]!;
  const at = rest.lastIndexOf("@");
  if (at === -1) return url;
  return `${prefix}${maskedUserinfo(rest.slice(0, at))}${rest.slice(at)}`;
}

/** `user:***`, or `***` for a user name alone or one that may be more. */
function maskedUserinfo(userinfo: string): string {
  const colon = userinfo.indexOf(":");
  const user = userinfo.slice(0, colon);
  return colon === -1 || /[/?#\\@\s]/.test(user) ? "***" : `${user}:***`;
}
