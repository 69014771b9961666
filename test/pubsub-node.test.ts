import { pubsubSuite } from "./runtime/pubsub-suite.ts";

pubsubSuite("node", [process.execPath]);
