// Deterministic (seeded) inputs for the DEFLATE benchmark and tests: JSON-like text, prose, random bytes.

/** mulberry32: a small seeded generator of floats in [0, 1). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = [
  "ka",
  "lo",
  "mer",
  "tin",
  "sa",
  "ve",
  "ro",
  "di",
  "an",
  "qu",
  "es",
  "th",
  "or",
  "pi",
  "nu",
  "el",
];

function vocabulary(rand: () => number, n: number): string[] {
  const words = new Set<string>();
  while (words.size < n) {
    let w = "";
    for (let k = 1 + Math.floor(rand() * 3.5); k > 0; k--)
      w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
    words.add(w);
  }
  return [...words];
}

/** Index in 0..n-1 drawn with probability about 1/(rank+1) (Zipf, s = 1). */
function zipf(rand: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(Math.exp(rand() * Math.log(n + 1))) - 1);
}

/** Prose: sentences of words from a 2000-word vocabulary with a Zipf-like distribution. */
export function prose(size: number, seed = 1): Uint8Array {
  const rand = seeded(seed);
  const words = vocabulary(rand, 2000);
  const parts: string[] = [];
  let len = 0;
  while (len < size) {
    const n = 5 + Math.floor(rand() * 15);
    let sentence = "";
    for (let i = 0; i < n; i++) sentence += (i ? " " : "") + words[zipf(rand, words.length)];
    sentence = `${sentence[0].toUpperCase()}${sentence.slice(1)}${rand() < 0.2 ? "," : "."} `;
    parts.push(sentence);
    len += sentence.length;
  }
  return new TextEncoder().encode(parts.join("")).subarray(0, size);
}

/** JSON-like: an array of objects with repeated keys and varied values (ids, names, numbers, flags). */
export function jsonLike(size: number, seed = 2): Uint8Array {
  const rand = seeded(seed);
  const names = vocabulary(rand, 300);
  const tags = ["new", "sale", "popular", "limited", "eco", "import", "gift"];
  const parts: string[] = ["["];
  let len = 1;
  for (let id = 1000; len < size; id++) {
    const item = {
      id,
      name: `${names[zipf(rand, names.length)]} ${names[zipf(rand, names.length)]}`,
      price: Math.round(rand() * 100000) / 100,
      stock: Math.floor(rand() * 500),
      active: rand() < 0.7,
      tags: tags.filter(() => rand() < 0.25),
      owner: { id: Math.floor(rand() * 10000), email: `${names[zipf(rand, names.length)]}@example.com` },
      updated: new Date(1.7e12 + Math.floor(rand() * 3e10)).toISOString(),
    };
    const s = `${id > 1000 ? "," : ""}${JSON.stringify(item)}`;
    parts.push(s);
    len += s.length;
  }
  return new TextEncoder().encode(parts.join("")).subarray(0, size);
}

/** Uniformly random bytes. */
export function randomBinary(size: number, seed = 3): Uint8Array {
  const rand = seeded(seed);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = Math.floor(rand() * 256);
  return out;
}
