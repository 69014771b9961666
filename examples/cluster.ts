// Several processes on one port on Node 20, which has no reusePort: node:cluster's primary forks
// the workers (--workers N, default one per core) and hands them connections; each worker runs the
// pub/sub example with the same arguments, and --redis makes every topic span the workers.
//   node dist/examples/cluster.js --port 8080 --redis redis://127.0.0.1:6379 --workers 2
import cluster from "node:cluster";
import { availableParallelism } from "node:os";

if (cluster.isPrimary) {
  const at = process.argv.indexOf("--workers");
  const workers = at > 0 ? Number(process.argv[at + 1]) : availableParallelism();
  cluster.on("listening", (worker) => console.log(`worker ${worker.process.pid} listening`));
  cluster.on("exit", (worker, code) => console.log(`worker ${worker.process.pid} exited with ${code}`));
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  await import("./pubsub.ts");
}
