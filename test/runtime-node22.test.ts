// The server suite under Node 22 as well: the current long-term release, beside the Node 20 we build on.
import { node22 } from "./helpers/node22.ts";
import { runtimeSuite } from "./runtime/suite.ts";

runtimeSuite("node 22", [node22()]);
