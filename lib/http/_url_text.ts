/**
 * A URL as error and note lines may show it: the password of a
 * `user:pass@` becomes `***`, and a user name alone (often a token, as in
 * `https://TOKEN@host/`) becomes `***` too. Error lines end up in logs and
 * CI output, where a credential must not.
 */
export function urlForDisplay(url: URL | string): string {
  const text = typeof url === "string" ? url : url.href;
  return text.replace(
    /^((?:[a-z][a-z0-9+.-]*:)?\/\/)?([^/?#]*)@/i,
    (_match, scheme: string | undefined, userinfo: string) => {
      const colon = userinfo.indexOf(":");
      const shown = colon === -1 ? "***" : `${userinfo.slice(0, colon)}:***`;
      return `${scheme ?? ""}${shown}@`;
    },
  );
}
