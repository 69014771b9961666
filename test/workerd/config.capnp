# workerd config for test/workerd.test.ts. The harness bundles worker.ts to worker.js (esbuild, with
# the core copied beside it as wasmsock.wasm), writes a self-signed cert.pem for the wss:// test and
# copies this file next to them; embed paths are relative to this file. The port comes at start:
# `workerd serve config.capnp --socket-addr http=127.0.0.1:PORT`.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # connect() goes through globalOutbound; the default ("internet") allows public addresses
    # only, and the echo servers listen on 127.0.0.1. TLS trusts the test's certificate only.
    (name = "loopback", network = (
      allow = ["public", "private", "local"],
      tlsOptions = (trustedCertificates = [embed "cert.pem"]),
    )),
  ],
  sockets = [(name = "http", http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    # workerd forbids compiling WebAssembly at run time: the core must arrive as a module.
    (name = "wasmsock.wasm", wasm = embed "wasmsock.wasm"),
  ],
  # Not newer than the workerd binary (1.20261023.1); no nodejs_compat: nothing needs node:*.
  compatibilityDate = "2026-10-23",
  globalOutbound = "loopback",
);
