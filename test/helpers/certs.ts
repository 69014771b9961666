import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCerts {
  /** PEM texts. */
  ca: string;
  cert: string;
  key: string;
  /** Their files, for commands that take paths. */
  files: { ca: string; cert: string; key: string };
  remove(): void;
}

/**
 * A CA and a leaf for localhost and 127.0.0.1 that it signed, made with openssl in a temp dir:
 * rustls (Deno) refuses a self-signed CA as the server's certificate and reads the name from
 * subjectAltName only.
 */
export function makeCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), "wasmsock-tls-"));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(
    ...["req", "-x509", ...ec, "-days", "1", "-subj", "/CN=wasmsock test CA"],
    ...["-keyout", file("ca-key"), "-out", file("ca")],
  );
  openssl("req", ...ec, "-subj", "/CN=localhost", "-keyout", file("key"), "-out", file("csr"));
  writeFileSync(file("ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n");
  openssl(
    ...["x509", "-req", "-in", file("csr"), "-CA", file("ca"), "-CAkey", file("ca-key"), "-CAcreateserial"],
    ...["-days", "1", "-extfile", file("ext"), "-out", file("cert")],
  );
  const files = { ca: file("ca"), cert: file("cert"), key: file("key") };
  return {
    ca: readFileSync(files.ca, "utf8"),
    cert: readFileSync(files.cert, "utf8"),
    key: readFileSync(files.key, "utf8"),
    files,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
