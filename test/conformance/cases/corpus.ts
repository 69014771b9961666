// Stand-ins for Autobahn's compression test data (section 12): Autobahn ships five files (a JSON
// document, a 512x512 bitmap, Goethe's Faust as text, an HTML page, a PDF). We generate data of the
// same kinds and about the same sizes from a seeded generator, so every run sends the same bytes and
// the repository carries no corpus. Text data sets are ASCII, so that any slice is valid UTF-8.

export interface DataSet {
  title: string;
  binary: boolean;
  /** Built once, on first use. */
  bytes(): Buffer;
}

/** mulberry32: small, seeded, good enough to make data look irregular. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const once = (make: () => Buffer): (() => Buffer) => {
  let made: Buffer | undefined;
  return () => (made ??= make());
};

const WORDS =
  "the of and to in is that for it as with was on be by at this from or an which are have not but all were one their has had more there when will would who been what also its into than other only some could these time after first".split(
    " ",
  );
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const sentence = (r: () => number, n: number) => Array.from({ length: n }, () => pick(r, WORDS)).join(" ");

function json(size: number): Buffer {
  const r = rng(1);
  const out: string[] = ["["];
  let len = 1;
  for (let id = 1; len < size; id++) {
    const rec = JSON.stringify({
      id,
      guid: Math.floor(r() * 2 ** 48).toString(16),
      isActive: r() < 0.5,
      balance: `$${(r() * 4000).toFixed(2)}`,
      age: 20 + Math.floor(r() * 50),
      name: `${pick(r, ["Ada", "Linus", "Grace", "Ken", "Barbara", "Dennis"])} ${pick(r, ["Lovelace", "Torvalds", "Hopper", "Thompson", "Liskov", "Ritchie"])}`,
      about: sentence(r, 8 + Math.floor(r() * 20)),
      latitude: r() * 180 - 90,
      tags: Array.from({ length: 3 }, () => pick(r, WORDS)),
    });
    out.push(id > 1 ? `,\n  ${rec}` : `\n  ${rec}`);
    len += rec.length + 4;
  }
  out.push("\n]\n");
  return Buffer.from(out.join(""), "ascii").subarray(0, size);
}

/** An 8-bit greyscale BMP: smooth shapes plus sensor-like noise, as a photograph compresses. */
function bitmap(): Buffer {
  const w = 512;
  const h = 512;
  const head = Buffer.alloc(54 + 1024);
  head.write("BM", 0, "ascii");
  head.writeUInt32LE(head.length + w * h, 2);
  head.writeUInt32LE(head.length, 10);
  head.writeUInt32LE(40, 14);
  head.writeInt32LE(w, 18);
  head.writeInt32LE(h, 22);
  head.writeUInt16LE(1, 26);
  head.writeUInt16LE(8, 28);
  head.writeUInt32LE(w * h, 34);
  for (let i = 0; i < 256; i++) head.writeUInt32LE(i * 0x010101, 54 + 4 * i);
  const r = rng(2);
  const px = Buffer.alloc(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const v = 128 + 60 * Math.sin(x / 37) * Math.cos(y / 23) + 40 * Math.sin((x + y) / 91);
      px[y * w + x] = Math.max(0, Math.min(255, Math.round(v + (r() - 0.5) * 12)));
    }
  return Buffer.concat([head, px]);
}

/** German verse, as Autobahn's Faust: UTF-8 with umlauts, sent as binary (slices split characters). */
function verse(size: number): Buffer {
  const r = rng(3);
  const words =
    "Habe nun ach Philosophie Juristerei und Medizin leider auch Theologie durchaus studiert mit heißem Bemühn da steh ich nun ich armer Tor bin so klug als wie zuvor heiße Magister Doktor gar ziehe schon zehen Jahr herauf herab und quer und krumm meine Schüler an der Nase herum Gretchen Mephistopheles Fräulein schön Geleit über Nacht Höhle Wald Kerker".split(
      " ",
    );
  const out: string[] = [];
  let len = 0;
  while (len < size) {
    const line =
      `${pick(r, ["FAUST", "MEPHISTOPHELES", "MARGARETE", "WAGNER"])}:\n` +
      Array.from({ length: 2 + Math.floor(r() * 4) }, () => `${sentence2(r, words)},\n`).join("") +
      "\n";
    out.push(line);
    len += Buffer.byteLength(line);
  }
  return Buffer.from(out.join(""), "utf8").subarray(0, size);
}
const sentence2 = (r: () => number, words: string[]) =>
  Array.from({ length: 4 + Math.floor(r() * 5) }, () => pick(r, words)).join(" ");

function html(size: number): Buffer {
  const r = rng(4);
  const out = [
    '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Data</title></head>\n<body>\n',
  ];
  let len = out[0].length;
  for (let i = 0; len < size; i++) {
    const block =
      `<div class="${pick(r, ["row", "cell", "note", "card"])}" id="item-${i}">\n` +
      `  <h2><a href="/articles/${i}.html">${sentence(r, 4)}</a></h2>\n` +
      `  <p>${sentence(r, 20 + Math.floor(r() * 30))}</p>\n` +
      `  <ul><li>${sentence(r, 3)}</li><li>${sentence(r, 3)}</li></ul>\n</div>\n`;
    out.push(block);
    len += block.length;
  }
  return Buffer.from(out.join(""), "ascii").subarray(0, size);
}

/** A PDF-like file: text objects between already-compressed (high-entropy) streams. */
function pdf(size: number): Buffer {
  const r = rng(5);
  const parts: Buffer[] = [Buffer.from("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "latin1")];
  let len = parts[0].length;
  for (let obj = 1; len < size; obj++) {
    const n = 512 + Math.floor(r() * 8192);
    const noise = Buffer.alloc(n);
    for (let i = 0; i < n; i++) noise[i] = Math.floor(r() * 256);
    const text = Buffer.from(
      `${obj} 0 obj\n<< /Type /Page /Length ${n} /Filter /FlateDecode /Font << /F1 ${obj + 1} 0 R >> >>\n` +
        `% ${sentence(r, 12)}\nstream\n`,
      "latin1",
    );
    const end = Buffer.from("\nendstream\nendobj\n", "latin1");
    parts.push(text, noise, end);
    len += text.length + n + end.length;
  }
  return Buffer.concat(parts).subarray(0, size);
}

/** Autobahn's order of 12.1..12.5; sizes as Autobahn's files. */
export const DATA_SETS: DataSet[] = [
  { title: "JSON data (text, 194 KB)", binary: false, bytes: once(() => json(194_237)) },
  { title: "512x512 greyscale bitmap (binary, 263 KB)", binary: true, bytes: once(bitmap) },
  { title: "German verse, UTF-8 (sent as binary, 222 KB)", binary: true, bytes: once(() => verse(222_218)) },
  { title: "HTML page (text, 83 KB)", binary: false, bytes: once(() => html(83_315)) },
  { title: "PDF-like document (binary, 1 MB)", binary: true, bytes: once(() => pdf(1_042_328)) },
];
