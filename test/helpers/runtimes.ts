// The runtimes every cross-runtime test runs in, as the command that starts a built .js file.
export const RUNTIMES: [name: string, command: string[]][] = [
  ["node", [process.execPath]],
  ["deno", ["node_modules/.bin/deno", "run", "-A"]],
  ["bun", ["node_modules/.bin/bun"]],
];
