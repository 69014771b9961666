// What the codec benchmarks share: the timing loop and incompressible data.

/** MB/s of `bytes` per call of fn, over about 400 ms. */
export function rate(fn: () => number, bytes: number): number {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < 400) {
    for (let i = 0; i < 4; i++) fn();
    n += 4;
    t = performance.now();
  }
  return (bytes * n) / ((t - t0) / 1000) / 1e6;
}

/** Seeded xorshift bytes: incompressible, the same every run. */
export function random(size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = 2463534242;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}
