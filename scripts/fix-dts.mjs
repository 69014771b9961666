// tsc rewrites .ts specifiers to .js in the emitted JavaScript but not in declarations; consumers
// on TypeScript before 5.7 (or without allowImportingTsExtensions) need .js in the .d.ts files too.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith(".d.ts")) {
      const text = readFileSync(path, "utf8");
      const fixed = text.replace(/(from\s+|import\()(["'])(\.{1,2}\/[^"']+)\.ts\2/g, "$1$2$3.js$2");
      if (fixed !== text) writeFileSync(path, fixed);
    }
  }
}

walk("dist");
