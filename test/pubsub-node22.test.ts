// The pub/sub suite under Node 22.12+, where serve({ reusePort: true }) works (Node 20 refuses it).
import { node22 } from "./helpers/node22.ts";
import { pubsubSuite } from "./runtime/pubsub-suite.ts";

pubsubSuite("node 22", [node22()], { reusePortFlags: [] });
