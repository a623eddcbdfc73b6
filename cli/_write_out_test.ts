import { assertEquals, assertThrows } from "../tests/_assert.ts";
import { formatWriteOut, parseWriteOut } from "./_write_out.ts";

const facts = {
  httpCode: 0,
  sizeDownload: 12,
  sizeHeader: 40,
  totalMs: 1234.5,
  urlEffective: "http://h/x",
  redirects: 2,
  contentType: "text/plain",
  remoteIp: "127.0.0.1",
  remotePort: 8080,
  exitCode: 1,
};

Deno.test("formatWriteOut() fills curl's variables and escapes", () => {
  assertEquals(
    formatWriteOut(
      "%{http_code} %{size_download} %{time_total} %{url_effective}\\n",
      facts,
    ),
    "000 12 1.234500 http://h/x\n",
  );
  assertEquals(
    formatWriteOut("%%{http_code}\\t%{num_redirects}\\\\%{exitcode}", facts),
    "%{http_code}\t2\\1",
  );
  assertEquals(
    formatWriteOut("%{remote_ip}:%{remote_port} %{content_type}", facts),
    "127.0.0.1:8080 text/plain",
  );
});

Deno.test("parseWriteOut() names an unknown variable", () => {
  assertEquals(parseWriteOut("%{http_code}\\n"), "%{http_code}\\n");
  assertThrows(
    () => parseWriteOut("%{http_code} %{nosuch}"),
    Error,
    'unknown --write-out variable "%{nosuch}"',
  );
});
