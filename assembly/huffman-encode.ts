// Length-limited canonical Huffman codes for the compressor (RFC 1951 3.2.2). Frequencies are u32
// arrays, code lengths u8 arrays, codes u16 arrays (bit-reversed, ready for the LSB-first writer).

const MAX_SYMBOLS: u32 = 288;

// Work areas: sort keys (frequency << 9 | symbol), tree weights, and a count per code length.
const keys: usize = heap.alloc(MAX_SYMBOLS * 4);
const tree: usize = heap.alloc(MAX_SYMBOLS * 4);
const counts: usize = heap.alloc(MAX_SYMBOLS * 4);

// Sorts the first n keys ascending (Shell sort: few hundred keys, no recursion, no extra memory).
function sortKeys(n: u32): void {
  let gap: u32 = 1;
  while (gap < n / 3) gap = gap * 3 + 1;
  for (; gap > 0; gap /= 3) {
    for (let i = gap; i < n; i++) {
      const k = load<u32>(keys + (i << 2));
      let j = i;
      while (j >= gap && load<u32>(keys + ((j - gap) << 2)) > k) {
        store<u32>(keys + (j << 2), load<u32>(keys + ((j - gap) << 2)));
        j -= gap;
      }
      store<u32>(keys + (j << 2), k);
    }
  }
}

function at(i: i32): u32 {
  return load<u32>(tree + ((<usize>i) << 2));
}

function set(i: i32, v: u32): void {
  store<u32>(tree + ((<usize>i) << 2), v);
}

// Optimal (unlimited) code lengths for n >= 2 weights sorted ascending, computed in place in `tree`
// (Moffat and Katajainen's in-place method): pass 1 pairs nodes and leaves parent links, pass 2
// turns links into depths of internal nodes, pass 3 hands out leaf depths, deepest to the lightest.
function optimalLengths(n: i32): void {
  set(0, at(0) + at(1));
  let root = 0;
  let leaf = 2;
  for (let next = 1; next < n - 1; next++) {
    if (leaf >= n || at(root) < at(leaf)) {
      set(next, at(root));
      set(root++, next);
    } else set(next, at(leaf++));
    if (leaf >= n || (root < next && at(root) < at(leaf))) {
      set(next, at(next) + at(root));
      set(root++, next);
    } else set(next, at(next) + at(leaf++));
  }
  set(n - 2, 0);
  for (let next = n - 3; next >= 0; next--) set(next, at(at(next)) + 1);
  let avail = 1;
  let used = 0;
  let depth: u32 = 0;
  root = n - 2;
  let next = n - 1;
  while (avail > 0) {
    while (root >= 0 && at(root) == depth) {
      used++;
      root--;
    }
    while (avail > used) {
      set(next--, depth);
      avail--;
    }
    avail = 2 * used;
    depth++;
    used = 0;
  }
}

// Code lengths of at most `limit` bits for n symbols, at least two of them nonzero: DEFLATE wants
// one bit sent even for a lone symbol, and two codes keep every tree complete (3.2.7).
export function buildLengths(freq: usize, n: u32, limit: u32, lens: usize): void {
  let m: u32 = 0;
  for (let s: u32 = 0; s < n; s++) {
    store<u8>(lens + s, 0);
    const f = load<u32>(freq + (s << 2));
    if (f != 0) store<u32>(keys + (m++ << 2), (f << 9) | s);
  }
  // Pad with zero-weight symbols that are not used yet.
  for (let s: u32 = 0; m < 2; s++) if (load<u32>(freq + (s << 2)) == 0) store<u32>(keys + (m++ << 2), s);
  sortKeys(m);
  for (let i: u32 = 0; i < m; i++) store<u32>(tree + (i << 2), load<u32>(keys + (i << 2)) >> 9);
  optimalLengths(<i32>m);
  // Lengths over the limit are cut to it; that overfills the code space (Kraft sum above 1), so
  // codes are moved one level deeper until it fits exactly. Lengths then go back to the symbols
  // in frequency order, the longest to the rarest.
  memory.fill(counts, 0, (limit + 1) << 2);
  for (let i: u32 = 0; i < m; i++) {
    const l = min(load<u32>(tree + (i << 2)), limit);
    store<u32>(counts + (l << 2), load<u32>(counts + (l << 2)) + 1);
  }
  let total: u32 = 0;
  for (let l: u32 = 1; l <= limit; l++) total += load<u32>(counts + (l << 2)) << (limit - l);
  while (total > (<u32>1) << limit) {
    store<u32>(counts + (limit << 2), load<u32>(counts + (limit << 2)) - 1);
    for (let l = limit - 1; l > 0; l--) {
      const c = load<u32>(counts + (l << 2));
      if (c != 0) {
        store<u32>(counts + (l << 2), c - 1);
        store<u32>(counts + ((l + 1) << 2), load<u32>(counts + ((l + 1) << 2)) + 2);
        break;
      }
    }
    total--;
  }
  let i: u32 = 0;
  for (let l = limit; l > 0; l--) {
    for (let c = load<u32>(counts + (l << 2)); c > 0; c--) {
      store<u8>(lens + (load<u32>(keys + (i << 2)) & 511), <u8>l);
      i++;
    }
  }
}

// Canonical codes from lengths (3.2.2), each bit-reversed because Huffman codes are packed
// starting with their most significant bit.
export function buildCodes(lens: usize, n: u32, codes: usize): void {
  memory.fill(counts, 0, 16 << 2);
  for (let s: u32 = 0; s < n; s++) {
    const l = <u32>load<u8>(lens + s);
    store<u32>(counts + (l << 2), load<u32>(counts + (l << 2)) + 1);
  }
  store<u32>(counts, 0);
  // counts[l] becomes the next code of length l.
  let code: u32 = 0;
  let prevCount: u32 = 0;
  for (let l: u32 = 1; l < 16; l++) {
    code = (code + prevCount) << 1;
    prevCount = load<u32>(counts + (l << 2));
    store<u32>(counts + (l << 2), code);
  }
  for (let s: u32 = 0; s < n; s++) {
    const l = <u32>load<u8>(lens + s);
    if (l == 0) continue;
    const c = load<u32>(counts + (l << 2));
    store<u32>(counts + (l << 2), c + 1);
    store<u16>(codes + (s << 1), <u16>(reverseBits(c) >> (32 - l)));
  }
}

function reverseBits(v: u32): u32 {
  v = ((v >> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  return bswap<u32>(v);
}
