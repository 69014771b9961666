// The catalogue: every case in report order, and selection by patterns such as "1.*,6.4.1".
import type { Case, FrameCase, HandshakeCase } from "../types.ts";
import { closing } from "./close.ts";
import { compression } from "./compression.ts";
import { fragmentation } from "./fragmentation.ts";
import { framing } from "./framing.ts";
import { handshake } from "./handshake.ts";
import { limits } from "./limits.ts";
import { misc } from "./misc.ts";
import { opcodes } from "./opcodes.ts";
import { pings } from "./pings.ts";
import { reservedBits } from "./reserved-bits.ts";
import { utf8 } from "./utf8.ts";

export const SECTIONS: Record<string, string> = {
  "0": "Opening handshake",
  "1": "Framing",
  "2": "Pings/Pongs",
  "3": "Reserved bits",
  "4": "Opcodes",
  "5": "Fragmentation",
  "6": "UTF-8 handling",
  "7": "Close handling",
  "9": "Limits/Performance",
  "10": "Miscellaneous",
  "12": "Compression",
  "13": "Compression parameters",
};

export const frameCases: FrameCase[] = [
  ...framing,
  ...pings,
  ...reservedBits,
  ...opcodes,
  ...fragmentation,
  ...utf8,
  ...closing,
  ...limits,
  ...misc,
  ...compression,
];
export const handshakeCases: HandshakeCase[] = handshake;
export const allCases: Case[] = [...handshakeCases, ...frameCases];

export const isHandshake = (c: Case): c is HandshakeCase => "request" in c;

/** Keep cases whose id matches a pattern: "*" is a wildcard, "6.4" also selects 6.4.*. */
export function select<C extends Case>(cases: C[], patterns?: string | string[]): C[] {
  const list = (typeof patterns === "string" ? patterns.split(",") : (patterns ?? []))
    .map((p) => p.trim())
    .filter(Boolean);
  if (list.length === 0) return cases;
  const res = list.map((p) => {
    const body = p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
    return new RegExp(`^${body}(\\..*)?$`);
  });
  return cases.filter((c) => res.some((r) => r.test(c.id)));
}
