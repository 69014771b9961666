import { runtimeSuite } from "./runtime/suite.ts";

runtimeSuite("bun", ["node_modules/.bin/bun"]);
