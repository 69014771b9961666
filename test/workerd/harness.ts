// Runs a worker in workerd for a test: bundle it with esbuild next to config.capnp in a temp dir,
// start `workerd serve` on a free port, wait until it answers HTTP, kill it after.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { freePort } from "../helpers/spawn-echo.ts";

const here = import.meta.dirname;
const root = join(here, "../..");
const workerd = join(root, "node_modules/.bin/workerd");

export interface Workerd {
  /** http://127.0.0.1:PORT */
  url: string;
  proc: ChildProcess;
  /** The certificate workerd trusts (for 127.0.0.1 and localhost) and its key, for a TLS server. */
  tls: { cert: Buffer; key: Buffer };
  /** What workerd printed (its errors and the worker's console). */
  output(): string;
  stop(): void;
}

/**
 * Bundles `entry` into `dir`/worker.js like wrangler: "wasmsock" resolves through package.json's
 * "workerd" export condition (esbuild resolves the package's own name); imported .wasm
 * files are copied beside it under their own names and stay imports (wrangler's CompiledWasm rule);
 * cloudflare:* stays external.
 */
export async function bundleWorker(entry: string, dir: string, nodePaths: string[] = []): Promise<void> {
  await build({
    nodePaths,
    absWorkingDir: root,
    entryPoints: { worker: entry },
    outdir: dir,
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*"],
    loader: { ".wasm": "copy" },
    assetNames: "[name]",
    logLevel: "error",
  });
}

/** A self-signed certificate for 127.0.0.1 and localhost, valid for a day. */
function selfSigned(dir: string): { cert: Buffer; key: Buffer } {
  const [certFile, keyFile] = [join(dir, "cert.pem"), join(dir, "key.pem")];
  const key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"];
  const subject = ["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"];
  const args = ["req", "-x509", ...key, ...subject, "-keyout", keyFile, "-out", certFile];
  execFileSync("openssl", args, { stdio: "ignore" });
  return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

/**
 * Bundles test/workerd/worker.ts (or `entry`, with packages also from `nodePaths`) and serves it
 * with test/workerd/config.capnp.
 */
export async function startWorkerd(
  timeoutMs = 10_000,
  entry = join(here, "worker.ts"),
  nodePaths: string[] = [],
): Promise<Workerd> {
  const dir = mkdtempSync(join(tmpdir(), "wasmsock-workerd-"));
  await bundleWorker(entry, dir, nodePaths);
  copyFileSync(join(here, "config.capnp"), join(dir, "config.capnp"));
  const tls = selfSigned(dir);
  const port = await freePort();
  const args = ["serve", join(dir, "config.capnp"), "--socket-addr", `http=127.0.0.1:${port}`];
  const proc = spawn(workerd, args, { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  proc.stdout!.on("data", (b: Buffer) => (log += b));
  proc.stderr!.on("data", (b: Buffer) => (log += b));
  const stop = () => {
    proc.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) {
      stop();
      throw new Error(`workerd exited with ${proc.exitCode}:\n${log}`);
    }
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { url, proc, tls, output: () => log, stop };
    if (Date.now() > deadline) {
      stop();
      throw new Error(`workerd did not answer in ${timeoutMs} ms:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
