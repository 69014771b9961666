import { pubsubSuite } from "./runtime/pubsub-suite.ts";

pubsubSuite("bun", ["node_modules/.bin/bun"], { reusePortFlags: [] });
