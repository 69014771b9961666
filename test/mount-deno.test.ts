import { mountSuite } from "./runtime/mount-suite.ts";

mountSuite("deno", ["node_modules/.bin/deno", "run", "-A"]);
