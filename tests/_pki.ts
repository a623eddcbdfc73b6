/**
 * Throwaway certificates made with `openssl`, for the TLS tests: a CA and
 * leaves it signed (good, wrong name, expired), and a self-signed server
 * certificate of OpenSSL 3's default `CA:TRUE` kind.
 *
 * @module
 */
import { has } from "./_cli.ts";

/** Spread into a TLS test: it is ignored where openssl is missing. */
export const OPENSSL = { ignore: !has("openssl") };

/**
 * {@linkcode makePki} started at once where openssl is, so the tests of a
 * file share one set; a rejection nobody waits for is not unhandled.
 */
export function startPki(): Promise<Pki> {
  const ready = has("openssl")
    ? makePki()
    : Promise.reject(new Error("openssl missing"));
  ready.catch(() => {});
  return ready;
}

/** Paths of the files {@linkcode makePki} wrote. */
export interface Pki {
  dir: string;
  ca: string;
  good: { cert: string; key: string };
  wrongName: { cert: string; key: string };
  expired: { cert: string; key: string };
  /** `openssl req -x509 -subj /CN=localhost`: CA:TRUE, as OpenSSL 3 makes it. */
  self: { cert: string; key: string };
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

/** Makes every certificate in a new temporary directory. */
export async function makePki(): Promise<Pki> {
  const dir = await Deno.makeTempDir({ prefix: "sockit-pki-" });
  const openssl = async (...args: string[]) => {
    const out = await new Deno.Command("openssl", {
      args,
      cwd: dir,
      stderr: "piped",
      stdout: "null",
    }).output();
    if (!out.success) {
      throw new Error(new TextDecoder().decode(out.stderr));
    }
  };
  // deno-fmt-ignore
  await openssl("req", "-x509", ...EC, "-nodes", "-keyout", "ca.key",
    "-out", "ca.pem", "-days", "2", "-subj", "/CN=sockit test CA");
  const leaf = async (name: string, cn: string, days: string) => {
    await Deno.writeTextFile(
      `${dir}/${name}.ext`,
      `basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:${cn},IP:127.0.0.1\n`,
    );
    // deno-fmt-ignore
    await openssl("req", ...EC, "-nodes", "-keyout", `${name}.key`,
      "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
    // deno-fmt-ignore
    await openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem",
      "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.pem`,
      "-days", days, "-extfile", `${name}.ext`);
    return { cert: `${dir}/${name}.pem`, key: `${dir}/${name}.key` };
  };
  const good = await leaf("good", "localhost", "2");
  const wrongName = await leaf("wrong", "other.test", "2");
  const expired = await leaf("expired", "localhost", "-1");
  // deno-fmt-ignore
  await openssl("req", "-x509", ...EC, "-nodes", "-keyout", "self.key",
    "-out", "self.pem", "-days", "2", "-subj", "/CN=localhost");
  return {
    dir,
    ca: `${dir}/ca.pem`,
    good,
    wrongName,
    expired,
    self: { cert: `${dir}/self.pem`, key: `${dir}/self.key` },
  };
}
