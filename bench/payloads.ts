// Message payloads for the scenarios.
import { randomBytes } from "node:crypto";

export function binaryPayload(size: number): Uint8Array {
  return randomBytes(size);
}

// 16 bytes of UTF-8: ASCII plus 2-, 3- and 4-byte sequences, so validators take every path.
const UNIT = Buffer.from("abcdé€😀xyz", "utf8");

/** Valid UTF-8 of exactly `size` bytes (a multiple of 16). */
export function textPayload(size: number): Uint8Array {
  if (UNIT.length !== 16 || size % 16 !== 0) throw new Error("text payload size must be a multiple of 16");
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i += 16) UNIT.copy(out, i);
  return out;
}

/** ASCII text, for messages too small to hold the mixed unit. */
export function asciiPayload(size: number): Uint8Array {
  return Buffer.alloc(size, "x");
}

// Compressible text for permessage-deflate: seeded, so every run and every server sees the same bytes,
// and varied enough that zlib finds realistic ratios (a repeated 16-byte unit would deflate ~1000:1).

/** mulberry32: a small deterministic PRNG in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cuts UTF-8 to at most `size` bytes on a character boundary, then pads with `pad` to exactly `size`. */
function exactly(text: string, size: number, pad: string): Uint8Array {
  const bytes = Buffer.from(text, "utf8");
  let end = Math.min(size, bytes.length);
  while (end > 0 && end < bytes.length && (bytes[end] & 0xc0) === 0x80) end--;
  const out = Buffer.alloc(size, pad);
  bytes.copy(out, 0, 0, end);
  return out;
}

const FIRST = [
  "maria",
  "jan",
  "aiko",
  "omar",
  "lucía",
  "chen",
  "olga",
  "tomás",
  "priya",
  "noah",
  "zoë",
  "kofi",
];
const LAST = [
  "kowalski",
  "tanaka",
  "haddad",
  "garcía",
  "wang",
  "ivanova",
  "novák",
  "sharma",
  "smith",
  "mensah",
];
const CITIES = [
  "Lyon",
  "Kraków",
  "Osaka",
  "São Paulo",
  "Nairobi",
  "Toronto",
  "Zürich",
  "Pune",
  "Austin",
  "Oslo",
];
const TAGS = ["alpha", "beta", "admin", "trial", "premium", "mobile", "beta-tester", "eu", "us", "legacy"];

/** A JSON array of user-like records, valid JSON of exactly `size` bytes (trailing spaces pad it). */
export function jsonPayload(size: number, seed = 1): Uint8Array {
  const r = prng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const parts: string[] = [];
  let length = 2;
  for (let id = 100_000; ; id++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const tags = Array.from({ length: Math.floor(r() * 4) }, () => pick(TAGS));
    const record = JSON.stringify({
      id,
      user: `${first}.${last}`,
      email: `${first}.${last}${Math.floor(r() * 100)}@example.com`,
      active: r() < 0.8,
      score: Math.round(r() * 10_000) / 100,
      tags,
      city: pick(CITIES),
      created: new Date(1.7e12 + Math.floor(r() * 3e10)).toISOString(),
    });
    const add = Buffer.byteLength(record) + (parts.length > 0 ? 1 : 0);
    if (length + add > size) break;
    parts.push(record);
    length += add;
  }
  return exactly(`[${parts.join(",")}]`, size, " ");
}

const WORDS = (
  "the of and to a in is it that was for on are as with his they at be this from have or by one had " +
  "not but what all were when we there can an your which their said if do will each about how up out " +
  "them then she many some so these would other into has more her two like him see time could no make " +
  "than first been its who now people my made over did down only way find use may water long little " +
  "very after words called just where most know get through back much before go good new write our used " +
  "me man too any day same right look think also around another came come work three word must because " +
  "does part even place well such here take why things help put years different away again off went old " +
  "number great tell men say small every found still between name should home big give air line set own " +
  "under read last never us left end along while might next sound below saw something thought both few " +
  "those always looked show large often together asked house don't world going want school important " +
  "until form food keep children feet land side without boy once animals life enough took sometimes four " +
  "head above kind began almost live page got earth need far hand high year mother light parts country " +
  "father let night following picture being study second eyes soon times story boys since white days ever " +
  "paper hard near sentence better best across during today others however sure means knew it's try told " +
  "young miles sun ways thing whole hear example heard several change answer room sea against top turned " +
  "café naïve façade déjà-vu über — “quoted” résumé"
).split(" ");

/** English-like prose (Zipf-skewed words, sentences, paragraphs, a little non-ASCII), exactly `size` bytes. */
export function prosePayload(size: number, seed = 2): Uint8Array {
  const r = prng(seed);
  const word = () => WORDS[Math.floor(WORDS.length * r() ** 2.5)];
  const out: string[] = [];
  let length = 0;
  while (length < size) {
    const sentences = 3 + Math.floor(r() * 6);
    let paragraph = "";
    for (let s = 0; s < sentences; s++) {
      const n = 5 + Math.floor(r() * 16);
      const words = Array.from({ length: n }, (_, i) =>
        i > 0 && i < n - 1 && r() < 0.08 ? `${word()},` : word(),
      );
      const first = words[0];
      words[0] = first[0].toUpperCase() + first.slice(1);
      paragraph += `${words.join(" ")}${r() < 0.1 ? "?" : "."} `;
    }
    out.push(paragraph.trimEnd());
    length += Buffer.byteLength(paragraph) + 1;
  }
  return exactly(out.join("\n\n"), size, " ");
}
