import { pubsubSuite } from "./runtime/pubsub-suite.ts";

pubsubSuite("deno", ["node_modules/.bin/deno", "run", "-A"], { reusePortFlags: ["--unstable-net"] });
