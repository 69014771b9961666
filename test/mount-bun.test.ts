import { mountSuite } from "./runtime/mount-suite.ts";

mountSuite("bun", ["node_modules/.bin/bun"]);
