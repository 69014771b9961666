import { mountSuite } from "./runtime/mount-suite.ts";

mountSuite("node", [process.execPath]);
