// RFC 1951 3.2.2 from the encoding side: code lengths from symbol frequencies, limited to a
// maximum length, and the canonical codes for them, bit-reversed for the LSB-first bit writer.

const MAX_SYMS: u32 = 288;
const used: usize = heap.alloc(MAX_SYMS * 4);
const weight: usize = heap.alloc(MAX_SYMS * 2 * 4);
const parent: usize = heap.alloc(MAX_SYMS * 2 * 4);
const depth: usize = heap.alloc(MAX_SYMS * 2);
const counts: usize = heap.alloc(32 * 4);
const nextCode: usize = heap.alloc(16 * 4);

/** lens[i] for n symbols of freq (u32 each), none longer than maxBits. */
export function huffmanLengths(freq: usize, n: u32, maxBits: u32, lens: usize): void {
  memory.fill(lens, 0, n);
  let m: u32 = 0;
  for (let i: u32 = 0; i < n; i++) if (load<u32>(freq + i * 4) != 0) store<u32>(used + m++ * 4, i);
  // Two codes at least, as zlib sends: some decoders refuse a lone or missing code.
  if (m < 2) {
    const only = m == 1 ? load<u32>(used) : 0;
    store<u8>(lens + only, 1);
    store<u8>(lens + (only == 0 ? 1 : 0), 1);
    return;
  }
  // Ascending frequency (insertion sort: at most 286 symbols, mostly a few dozen).
  for (let i: u32 = 1; i < m; i++) {
    const s = load<u32>(used + i * 4);
    const f = load<u32>(freq + s * 4);
    let j = i;
    while (j > 0 && load<u32>(freq + load<u32>(used + (j - 1) * 4) * 4) > f) {
      store<u32>(used + j * 4, load<u32>(used + (j - 1) * 4));
      j--;
    }
    store<u32>(used + j * 4, s);
  }
  for (let i: u32 = 0; i < m; i++) store<u32>(weight + i * 4, load<u32>(freq + load<u32>(used + i * 4) * 4));
  // Huffman's construction with two queues: sorted leaves, and internal nodes in creation order.
  let leaf: u32 = 0;
  let inner: u32 = m;
  for (let k = m; k < 2 * m - 1; k++) {
    let w: u32 = 0;
    for (let pick: u32 = 0; pick < 2; pick++) {
      let x: u32;
      if (leaf < m && (inner >= k || load<u32>(weight + leaf * 4) <= load<u32>(weight + inner * 4)))
        x = leaf++;
      else x = inner++;
      w += load<u32>(weight + x * 4);
      store<u32>(parent + x * 4, k);
    }
    store<u32>(weight + k * 4, w);
  }
  const root: u32 = 2 * m - 2;
  store<u8>(depth + root, 0);
  memory.fill(counts, 0, 32 * 4);
  for (let k: u32 = root; k-- > 0; ) {
    const d = load<u8>(depth + load<u32>(parent + k * 4)) + 1;
    store<u8>(depth + k, d);
    if (k < m) {
      const c = counts + <usize>(d > maxBits ? maxBits : d) * 4;
      store<u32>(c, load<u32>(c) + 1);
    }
  }
  // Lengths past the limit were cut to it; lengthen shorter codes until the Kraft sum is exact.
  let total: u32 = 0;
  for (let l: u32 = 1; l <= maxBits; l++) total += load<u32>(counts + l * 4) << (maxBits - l);
  while (total > (<u32>1) << maxBits) {
    store<u32>(counts + maxBits * 4, load<u32>(counts + maxBits * 4) - 1);
    for (let l = maxBits - 1; l > 0; l--) {
      const c = load<u32>(counts + l * 4);
      if (c != 0) {
        store<u32>(counts + l * 4, c - 1);
        store<u32>(counts + (l + 1) * 4, load<u32>(counts + (l + 1) * 4) + 2);
        break;
      }
    }
    total--;
  }
  // The least frequent symbols get the longest codes.
  let i: u32 = 0;
  for (let l = maxBits; l > 0; l--) {
    for (let c = load<u32>(counts + l * 4); c > 0; c--) store<u8>(lens + load<u32>(used + i++ * 4), <u8>l);
  }
}

/** The canonical code of each symbol (3.2.2), reversed: written LSB first it reads MSB first. */
export function reversedCodes(lens: usize, n: u32, codes: usize): void {
  memory.fill(counts, 0, 16 * 4);
  for (let i: u32 = 0; i < n; i++) {
    const c = counts + <usize>load<u8>(lens + i) * 4;
    store<u32>(c, load<u32>(c) + 1);
  }
  store<u32>(counts, 0);
  let code: u32 = 0;
  for (let l: u32 = 1; l < 16; l++) {
    code = (code + load<u32>(counts + (l - 1) * 4)) << 1;
    store<u32>(nextCode + l * 4, code);
  }
  for (let i: u32 = 0; i < n; i++) {
    const l = <u32>load<u8>(lens + i);
    if (l == 0) continue;
    const c = load<u32>(nextCode + l * 4);
    store<u32>(nextCode + l * 4, c + 1);
    let r: u32 = 0;
    for (let b: u32 = 0; b < l; b++) r |= ((c >> b) & 1) << (l - 1 - b);
    store<u16>(codes + i * 2, <u16>r);
  }
}
