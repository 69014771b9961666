// Types for raw-upgrade.js (plain JavaScript so that Node runs it without a loader).
export declare const GUID: string;
export declare const MAX_HEAD: number;
export declare const BAD_REQUEST: string;
export interface Upgrade {
  key: string;
  response(accept: string): string;
}
export declare function parseUpgrade(head: string, deflate?: boolean): Upgrade | undefined;
export declare function portArg(argv: readonly string[], usage: string): number;
export declare const TOO_LARGE: "too large";
export declare function completeHead(
  head: string,
  deflate?: boolean,
): { upgrade: Upgrade | undefined; early: number } | typeof TOO_LARGE | undefined;
