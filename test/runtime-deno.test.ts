import { runtimeSuite } from "./runtime/suite.ts";

runtimeSuite("deno", ["node_modules/.bin/deno", "run", "-A"]);
