// One DEFLATE block from the symbols the match finder tallied: the cheapest of stored, fixed and
// dynamic Huffman (RFC 1951 3.2.4, 3.2.6, 3.2.7), written LSB-first (3.1.1). BFINAL is never set:
// a permessage-deflate stream ends each message with a sync flush instead (RFC 7692 7.2.1).
import { buildCodes, buildLengths } from "./huffman-encode";

// A block is closed once it covers this many input bytes, so that with the match that may end it, it
// still fits one stored block (LEN is 16 bits, 3.2.4); it has at most as many symbols as bytes.
export const BLOCK_SPAN: u32 = 65535 - 257;
const MAX_SYMS: u32 = 65536;

// 3.2.5: length codes 257..285 and distance codes 0..29, their base values and extra bits.
const lenSym = heap.alloc(256); // match length - 3 -> length code - 257
const lenBase = heap.alloc(29 * 2);
const lenExtra = heap.alloc(29);
const distSym = heap.alloc(512); // distance - 1 below 256, else 256 + ((distance - 1) >> 7)
const distBase = heap.alloc(30 * 2);
const distExtra = heap.alloc(30);
// 3.2.6: the fixed codes.
const fixedLitLen = heap.alloc(288);
const fixedLitCode = heap.alloc(288 * 2);
const fixedDistLen = heap.alloc(30);
const fixedDistCode = heap.alloc(30 * 2);
// This block's codes and counts.
const litFreq = heap.alloc(288 * 4);
const distFreq = heap.alloc(30 * 4);
const clFreq = heap.alloc(19 * 4);
const litLen = heap.alloc(288);
const litCode = heap.alloc(288 * 2);
const distLen = heap.alloc(30);
const distCode = heap.alloc(30 * 2);
const clLen = heap.alloc(19);
const clCode = heap.alloc(19 * 2);
// The codes as writeSymbols packs them.
const litEnc = heap.alloc(256 * 4);
const lenEnc = heap.alloc(256 * 4);
const distEnc = heap.alloc(30 * 4);
// The lit/len and distance lengths as one sequence (3.2.7), and its run-length coding: per entry
// the code-length symbol in the low byte and its repeat count's extra bits above.
const allLens = heap.alloc(286 + 30);
const rle = heap.alloc((286 + 30) * 2);
let rleCount: u32 = 0;
// 3.2.7: the order in which code length code lengths are sent.
const clOrder = memory.data<u8>([16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]);

// The symbols of the block being gathered: a literal byte, or (distance << 8) | (length - 3). The big
// buffer is allocated on the first message only.
let syms: usize = 0;
let nsyms: u32 = 0;

// The bit writer: bits not yet written, their count, and where the next byte goes.
let bitBuf: u64 = 0;
let bitCount: u32 = 0;
let outPos: usize = 0;

function initTables(): void {
  let base: u32 = 3;
  for (let c: u32 = 0; c < 28; c++) {
    const extra: u32 = c < 8 ? 0 : (c - 4) >> 2;
    store<u16>(lenBase + (c << 1), <u16>base);
    store<u8>(lenExtra + c, <u8>extra);
    for (let i: u32 = 0; i < (<u32>1) << extra && base + i < 258; i++)
      store<u8>(lenSym + base + i - 3, <u8>c);
    base += (<u32>1) << extra;
  }
  store<u16>(lenBase + 56, 258);
  store<u8>(lenExtra + 28, 0);
  store<u8>(lenSym + 255, 28);
  base = 1;
  for (let c: u32 = 0; c < 30; c++) {
    const extra: u32 = c < 4 ? 0 : (c - 2) >> 1;
    store<u16>(distBase + (c << 1), <u16>base);
    store<u8>(distExtra + c, <u8>extra);
    for (let d = base - 1; d < base - 1 + ((<u32>1) << extra); d++) {
      if (d < 256) store<u8>(distSym + d, <u8>c);
      else store<u8>(distSym + 256 + (d >> 7), <u8>c);
    }
    base += (<u32>1) << extra;
  }
  for (let s: u32 = 0; s < 288; s++) store<u8>(fixedLitLen + s, s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8);
  buildCodes(fixedLitLen, 288, fixedLitCode);
  memory.fill(fixedDistLen, 5, 30);
  buildCodes(fixedDistLen, 30, fixedDistCode);
}

// Readies the block scratch for a new message (allocating it the first time).
export function blockReset(): void {
  if (syms == 0) {
    syms = heap.alloc(MAX_SYMS * 4);
    initTables();
  }
  bitBuf = 0;
  bitCount = 0;
  clearCounts();
}

function clearCounts(): void {
  memory.fill(litFreq, 0, 288 * 4);
  memory.fill(distFreq, 0, 30 * 4);
  nsyms = 0;
}

// Where the next call's output goes (the bits left over from the last call stay pending).
export function setOutput(p: usize): void {
  outPos = p;
}

// Writes out the whole bytes gathered so far; returns the output position.
export function outputEnd(): usize {
  while (bitCount >= 8) {
    store<u8>(outPos++, <u8>bitBuf);
    bitBuf >>= 8;
    bitCount -= 8;
  }
  return outPos;
}

function put(v: u32, n: u32): void {
  bitBuf |= (<u64>v) << bitCount;
  bitCount += n;
  if (bitCount >= 32) {
    store<u32>(outPos, <u32>bitBuf);
    outPos += 4;
    bitBuf >>= 32;
    bitCount -= 32;
  }
}

// Pads with zero bits to a byte boundary and writes everything out.
function align(): void {
  outputEnd();
  if (bitCount > 0) {
    store<u8>(outPos++, <u8>bitBuf);
    bitBuf = 0;
    bitCount = 0;
  }
}

function bump(counts: usize, i: u32): void {
  const p = counts + (i << 2);
  store<u32>(p, load<u32>(p) + 1);
}

function distSymOf(d: u32): u32 {
  const d1 = d - 1;
  const i: u32 = d1 < 256 ? d1 : (d1 >> 7) + 256;
  return <u32>load<u8>(distSym + i);
}

export function tallyLiteral(c: u32): void {
  store<u32>(syms + (nsyms << 2), c);
  nsyms++;
  bump(litFreq, c);
}

// A match of len 3..258 bytes at distance 1..32768 (3.2.5).
export function tallyMatch(len: u32, dist: u32): void {
  store<u32>(syms + (nsyms << 2), (dist << 8) | (len - 3));
  nsyms++;
  bump(litFreq, 257 + <u32>load<u8>(lenSym + len - 3));
  bump(distFreq, distSymOf(dist));
}

// The empty stored block of a sync flush without its LEN and NLEN: RFC 7692 7.2.1 removes the
// 00 00 ff ff that would follow.
export function writeSyncMarker(): void {
  put(0, 3);
  align();
}

// Emits the block of the symbols tallied since the last one; they cover the span bytes at src.
export function writeBlock(src: usize, span: u32): void {
  bump(litFreq, 256); // end of block
  let extraBits: u32 = 0;
  for (let c: u32 = 0; c < 29; c++)
    extraBits += load<u32>(litFreq + ((257 + c) << 2)) * <u32>load<u8>(lenExtra + c);
  for (let c: u32 = 0; c < 30; c++)
    extraBits += load<u32>(distFreq + (c << 2)) * <u32>load<u8>(distExtra + c);

  buildLengths(litFreq, 286, 15, litLen);
  buildLengths(distFreq, 30, 15, distLen);
  let nlit: u32 = 286;
  while (nlit > 257 && load<u8>(litLen + nlit - 1) == 0) nlit--;
  let ndist: u32 = 30;
  while (ndist > 1 && load<u8>(distLen + ndist - 1) == 0) ndist--;
  runLengths(nlit, ndist);
  buildLengths(clFreq, 19, 7, clLen);
  let ncl: u32 = 19;
  while (ncl > 4 && load<u8>(clLen + load<u8>(clOrder + ncl - 1)) == 0) ncl--;

  let dynamicBits: u32 = 3 + 14 + ncl * 3 + extraBits;
  for (let s: u32 = 0; s < 19; s++) dynamicBits += load<u32>(clFreq + (s << 2)) * <u32>load<u8>(clLen + s);
  dynamicBits +=
    load<u32>(clFreq + (16 << 2)) * 2 + load<u32>(clFreq + (17 << 2)) * 3 + load<u32>(clFreq + (18 << 2)) * 7;
  let fixedBits: u32 = 3 + extraBits;
  for (let s: u32 = 0; s < 286; s++) {
    const f = load<u32>(litFreq + (s << 2));
    dynamicBits += f * <u32>load<u8>(litLen + s);
    fixedBits += f * <u32>load<u8>(fixedLitLen + s);
  }
  for (let s: u32 = 0; s < 30; s++) {
    const f = load<u32>(distFreq + (s << 2));
    dynamicBits += f * <u32>load<u8>(distLen + s);
    fixedBits += f * 5;
  }
  // A stored block pads its 3 header bits to a byte, then LEN and NLEN (3.2.4).
  const storedBits: u32 = ((bitCount + 3 + 7) & ~7) - bitCount + 32 + span * 8;

  if (storedBits <= fixedBits && storedBits <= dynamicBits) writeStored(src, span);
  else if (fixedBits <= dynamicBits) {
    put(1 << 1, 3);
    writeSymbols(fixedLitLen, fixedLitCode, fixedDistLen, fixedDistCode);
  } else {
    put(2 << 1, 3);
    writeDynamicHeader(nlit, ndist, ncl);
    buildCodes(litLen, 286, litCode);
    buildCodes(distLen, 30, distCode);
    writeSymbols(litLen, litCode, distLen, distCode);
  }
  clearCounts();
}

function writeStored(src: usize, span: u32): void {
  put(0, 3);
  align();
  store<u16>(outPos, <u16>span);
  store<u16>(outPos + 2, <u16>~span);
  memory.copy(outPos + 4, src, span);
  outPos += 4 + span;
}

// 3.2.7: codes 16 (repeat the previous length 3..6 times), 17 (3..10 zeros), 18 (11..138 zeros).
function runLengths(nlit: u32, ndist: u32): void {
  memory.copy(allLens, litLen, nlit);
  memory.copy(allLens + nlit, distLen, ndist);
  memory.fill(clFreq, 0, 19 * 4);
  const n = nlit + ndist;
  rleCount = 0;
  let i: u32 = 0;
  while (i < n) {
    const v = <u32>load<u8>(allLens + i);
    let run: u32 = 1;
    while (i + run < n && <u32>load<u8>(allLens + i + run) == v) run++;
    i += run;
    if (v == 0) {
      for (; run >= 11; ) {
        const r = min(run, 138);
        pushRle(18, r - 11);
        run -= r;
      }
      if (run >= 3) {
        pushRle(17, run - 3);
        run = 0;
      }
    } else {
      pushRle(v, 0);
      run--;
      for (; run >= 3; ) {
        const r = min(run, 6);
        pushRle(16, r - 3);
        run -= r;
      }
    }
    for (; run > 0; run--) pushRle(v, 0);
  }
}

function pushRle(sym: u32, extra: u32): void {
  store<u16>(rle + (rleCount << 1), <u16>(sym | (extra << 8)));
  rleCount++;
  bump(clFreq, sym);
}

function writeDynamicHeader(nlit: u32, ndist: u32, ncl: u32): void {
  put(nlit - 257, 5);
  put(ndist - 1, 5);
  put(ncl - 4, 4);
  for (let i: u32 = 0; i < ncl; i++) put(load<u8>(clLen + load<u8>(clOrder + i)), 3);
  buildCodes(clLen, 19, clCode);
  for (let i: u32 = 0; i < rleCount; i++) {
    const e = <u32>load<u16>(rle + (i << 1));
    const sym = e & 0xff;
    put(load<u16>(clCode + (sym << 1)), load<u8>(clLen + sym));
    if (sym >= 16) put(e >> 8, sym == 16 ? 2 : sym == 17 ? 3 : 7);
  }
}

// The symbols with the given codes. Per block, literals get a table of code | length << 16 and match
// lengths one of code | extra bits << length, with the bit count in the top byte; the bit writer's
// state stays in locals for the loop.
function writeSymbols(lLen: usize, lCode: usize, dLen: usize, dCode: usize): void {
  for (let c: u32 = 0; c < 256; c++)
    store<u32>(litEnc + (c << 2), <u32>load<u16>(lCode + (c << 1)) | ((<u32>load<u8>(lLen + c)) << 16));
  for (let l: u32 = 0; l < 256; l++) {
    const lc = <u32>load<u8>(lenSym + l);
    const ln = <u32>load<u8>(lLen + 257 + lc);
    const extra = l + 3 - <u32>load<u16>(lenBase + (lc << 1));
    const bits = <u32>load<u16>(lCode + ((257 + lc) << 1)) | (extra << ln);
    store<u32>(lenEnc + (l << 2), bits | ((ln + <u32>load<u8>(lenExtra + lc)) << 24));
  }
  for (let c: u32 = 0; c < 30; c++)
    store<u32>(distEnc + (c << 2), <u32>load<u16>(dCode + (c << 1)) | ((<u32>load<u8>(dLen + c)) << 16));
  let bb = bitBuf;
  let bc = bitCount;
  let op = outPos;
  for (let i: u32 = 0; i < nsyms; i++) {
    const s = load<u32>(syms + (i << 2));
    if (s < 256) {
      const e = load<u32>(litEnc + (s << 2));
      bb |= (<u64>(e & 0xffff)) << bc;
      bc += e >> 16;
    } else {
      const e = load<u32>(lenEnc + ((s & 0xff) << 2));
      bb |= (<u64>(e & 0xffffff)) << bc;
      bc += e >> 24;
      if (bc >= 32) {
        store<u32>(op, <u32>bb);
        op += 4;
        bb >>= 32;
        bc -= 32;
      }
      const d = s >> 8;
      const dc = distSymOf(d);
      const de = load<u32>(distEnc + (dc << 2));
      const dn = de >> 16;
      const extra = d - <u32>load<u16>(distBase + (dc << 1));
      bb |= (<u64>((de & 0xffff) | (extra << dn))) << bc;
      bc += dn + <u32>load<u8>(distExtra + dc);
    }
    if (bc >= 32) {
      store<u32>(op, <u32>bb);
      op += 4;
      bb >>= 32;
      bc -= 32;
    }
  }
  bitBuf = bb;
  bitCount = bc;
  outPos = op;
  put(load<u16>(lCode + (256 << 1)), load<u8>(lLen + 256));
}
