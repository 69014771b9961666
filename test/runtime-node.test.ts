import { runtimeSuite } from "./runtime/suite.ts";

runtimeSuite("node", [process.execPath]);
