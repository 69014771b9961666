// Seeded test data for the codecs: the same bytes for the same (kind, size, seed).
export const RANDOM = 0;
export const RUN = 1;
export const PROSE = 2;
export const JSON_LIKE = 3;

const words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor".split(" ");

/** Random bytes, one repeated byte, Zipf-like prose, or JSON-like records. */
export function sample(kind: number, size: number, seed: number): Buffer {
  let x = seed | 1;
  const rnd = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  if (kind === RANDOM) return Buffer.from(Array.from({ length: size }, () => (rnd() * 256) | 0));
  if (kind === RUN) return Buffer.alloc(size, 97);
  const parts: string[] = [];
  let n = 0;
  while (n < size) {
    const w =
      kind === PROSE
        ? words[(rnd() * rnd() * words.length) | 0]
        : `{"id":${(rnd() * 1e4) | 0},"k":"${words[(rnd() * 12) | 0]}"}`;
    parts.push(w);
    n += w.length + 1;
  }
  return Buffer.from(parts.join(kind === PROSE ? " " : ",").slice(0, size));
}
