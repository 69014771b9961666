// Section 6: UTF-8 in text messages (RFC 6455 8.1, RFC 3629). Valid text is echoed; invalid text fails
// the connection with 1007, as soon as the invalid byte arrives (6.4: "fail fast").
import type { Action, FrameCase } from "../types.ts";
import { hex } from "../wire.ts";
import { cont, echoed, failed, frameCase, gotText, send, sleep, text } from "./dsl.ts";

const KOSME = hex("ceba e1bdb9 cf83 cebc ceb5"); // "κόσμε"
const HELLO = Buffer.from("Hello-µ@ßöäüàá-UTF-8!!");

/** A text message of `payload`, whole, expected echoed if valid or failed with 1007 if not. */
function oneText(id: string, what: string, payload: Buffer, valid: boolean): FrameCase {
  return frameCase(
    id,
    `text message: ${what} (${payload.toString("hex") || "empty"})`,
    valid ? "echoed unchanged" : "fail with 1007",
    () => ({ actions: [send([text(payload)])], expect: valid ? echoed(gotText(payload)) : failed([], 1007) }),
  );
}

/** Numbered cases `section.1..n` from rows of [what, hex, valid]. */
const table = (section: string, rows: [string, string, boolean][]): FrameCase[] =>
  rows.map(([what, h, valid], i) => oneText(`${section}.${i + 1}`, what, hex(h), valid));

const octetFrames = (p: Buffer) =>
  Array.from(p, (b, i) => (i === 0 ? text : cont)(Buffer.from([b]), { fin: i === p.length - 1 }));

const basics: FrameCase[] = [
  frameCase("6.1.1", "empty text message", "echoed", () => ({
    actions: [send([text()])],
    expect: echoed(gotText("")),
  })),
  frameCase("6.1.2", "text message of three empty fragments", "one empty message echoed", () => ({
    actions: [send([text("", { fin: false }), cont("", { fin: false }), cont("")])],
    expect: echoed(gotText("")),
  })),
  frameCase("6.1.3", 'text fragments: empty, "middle", empty', '"middle" echoed', () => ({
    actions: [send([text("", { fin: false }), cont("middle", { fin: false }), cont("")])],
    expect: echoed(gotText("middle")),
  })),
  oneText(
    "6.2.1",
    "valid 2-, 3- and 4-byte sequences in one frame",
    Buffer.concat([HELLO, hex("f09d849e")]),
    true,
  ),
  frameCase("6.2.2", "valid text in two fragments split between code points", "echoed whole", () => ({
    actions: [send([text(HELLO.subarray(0, 8), { fin: false }), cont(HELLO.subarray(8))])],
    expect: echoed(gotText(HELLO)),
  })),
  frameCase(
    "6.2.3",
    "valid text in one-byte fragments (code points split across frames)",
    "echoed whole",
    () => ({
      actions: [send(octetFrames(HELLO))],
      expect: echoed(gotText(HELLO)),
    }),
  ),
  frameCase("6.2.4", '"κόσμε" in one-byte fragments', "echoed whole", () => ({
    actions: [send(octetFrames(KOSME))],
    expect: echoed(gotText(KOSME)),
  })),
  oneText(
    "6.3.1",
    '"κόσμε" + a UTF-16 surrogate + "edited"',
    Buffer.concat([KOSME, hex("eda080"), Buffer.from("edited")]),
    false,
  ),
  frameCase("6.3.2", "as 6.3.1 in one-byte fragments", "fail with 1007", () => ({
    actions: [send(octetFrames(Buffer.concat([KOSME, hex("eda080"), Buffer.from("edited")])))],
    expect: failed([], 1007),
  })),
];

/** 6.4: the invalid part goes out, then a pause; the peer must have failed before the rest is sent. */
const PAUSE = 200;
const fixedKey = { maskKey: Buffer.from([0x37, 0xfa, 0x21, 0x3d]) };
const BAD = hex("f4908080"); // U+110000: beyond Unicode, invalid from its 2nd byte
const EDITED = Buffer.from("edited");

function failFast(id: string, what: string, first: Action[], rest: Action[]): FrameCase {
  return frameCase(id, `fail fast: ${what}`, "fail with 1007 before the rest is sent", () => ({
    actions: [...first, { do: "checkpoint", ms: PAUSE }, ...rest],
    expect: failed([], 1007),
  }));
}

const oneFrame = text(Buffer.concat([KOSME, BAD, EDITED]), fixedKey);
const slice = (from: number, to?: number): Action => ({ do: "slice", frame: oneFrame, from, to });

const failFastCases: FrameCase[] = [
  failFast(
    "6.4.1",
    "three fragments; the 2nd is U+110000; the 3rd follows a pause",
    [send([text(KOSME, { fin: false }), cont(BAD, { fin: false })], "frames", PAUSE)],
    [send([cont(EDITED)])],
  ),
  failFast(
    "6.4.2",
    "three fragments; U+110000 starts at the end of the 1st, its invalid 2nd byte is the 2nd",
    [
      send(
        [
          text(Buffer.concat([KOSME, BAD.subarray(0, 1)]), { fin: false }),
          cont(BAD.subarray(1, 2), { fin: false }),
        ],
        "frames",
        PAUSE,
      ),
    ],
    [send([cont(Buffer.concat([BAD.subarray(2), EDITED]))])],
  ),
  failFast(
    "6.4.3",
    "one frame written in three pieces; the 2nd holds U+110000",
    [slice(0, KOSME.length), sleep(PAUSE), slice(KOSME.length, KOSME.length + 4)],
    [slice(KOSME.length + 4)],
  ),
  failFast(
    "6.4.4",
    "one frame written in three pieces; the 2nd is the first invalid byte alone",
    [slice(0, KOSME.length + 1), sleep(PAUSE), slice(KOSME.length + 1, KOSME.length + 2)],
    [slice(KOSME.length + 2)],
  ),
];

const kosmePrefixes = Array.from({ length: KOSME.length }, (_, i): [string, string, boolean] => [
  `first ${i + 1} bytes of "κόσμε"`,
  KOSME.subarray(0, i + 1).toString("hex"),
  [2, 5, 7, 9, 11].includes(i + 1),
]);

const continuationRun = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 ? "bf" : "80")).join("");
const allContinuations = Array.from({ length: 64 }, (_, i) => (0x80 + i).toString(16)).join("");
const lonely = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${(from + i).toString(16)}20`).join("");
const plane = (p: number) => {
  const cp = (p << 16) | 0xfffe;
  return [
    Buffer.from(String.fromCodePoint(cp)).toString("hex"),
    Buffer.from(String.fromCodePoint(cp + 1)).toString("hex"),
  ];
};

const sequences: FrameCase[] = [
  ...table("6.5", [
    ['"κόσμε"', KOSME.toString("hex"), true],
    ['"Hello-µ@ßöäüàá-UTF-8!!"', HELLO.toString("hex"), true],
    ["ASCII control characters and DEL", "00091f7f", true],
    ['mixed scripts: "中文 ελληνικά русский"', Buffer.from("中文 ελληνικά русский").toString("hex"), true],
    ["emoji outside the BMP", "f09f9880f09f8e89", true],
  ]),
  ...table("6.6", kosmePrefixes),
  ...table("6.7", [
    ["first 1-byte sequence U+0000", "00", true],
    ["first 2-byte sequence U+0080", "c280", true],
    ["first 3-byte sequence U+0800", "e0a080", true],
    ["first 4-byte sequence U+10000", "f0908080", true],
  ]),
  ...table("6.8", [
    ["first 5-byte sequence (not UTF-8)", "f888808080", false],
    ["first 6-byte sequence (not UTF-8)", "fc8480808080", false],
  ]),
  ...table("6.9", [
    ["last 1-byte sequence U+007F", "7f", true],
    ["last 2-byte sequence U+07FF", "dfbf", true],
    ["last 3-byte sequence U+FFFF", "efbfbf", true],
    ["last 4-byte sequence U+10FFFF", "f48fbfbf", true],
  ]),
  ...table("6.10", [
    ["4-byte sequence U+1FFFFF (beyond Unicode)", "f7bfbfbf", false],
    ["last 5-byte sequence", "fbbfbfbfbf", false],
    ["last 6-byte sequence", "fdbfbfbfbfbf", false],
  ]),
  ...table("6.11", [
    ["U+D7FF, just below the surrogates", "ed9fbf", true],
    ["U+E000, just above the surrogates", "ee8080", true],
    ["U+FFFD", "efbfbd", true],
    ["U+10FFFF", "f48fbfbf", true],
    ["U+110000", "f4908080", false],
  ]),
  ...table("6.12", [
    ["lone continuation byte 0x80", "80", false],
    ["lone continuation byte 0xBF", "bf", false],
    ["2 continuation bytes", continuationRun(2), false],
    ["3 continuation bytes", continuationRun(3), false],
    ["4 continuation bytes", continuationRun(4), false],
    ["5 continuation bytes", continuationRun(5), false],
    ["6 continuation bytes", continuationRun(6), false],
    ["7 continuation bytes", continuationRun(7), false],
    ["all 64 continuation bytes 0x80-0xBF", allContinuations, false],
  ]),
  ...table("6.13", [
    ["2-byte lead bytes 0xC0-0xDF, each followed by a space", lonely(0xc0, 0xdf), false],
    ["3-byte lead bytes 0xE0-0xEF, each followed by a space", lonely(0xe0, 0xef), false],
    ["4-byte lead bytes 0xF0-0xF7, each followed by a space", lonely(0xf0, 0xf7), false],
    ["5-byte lead bytes 0xF8-0xFB, each followed by a space", lonely(0xf8, 0xfb), false],
    ["6-byte lead bytes 0xFC-0xFD, each followed by a space", lonely(0xfc, 0xfd), false],
  ]),
  ...table("6.14", [
    ["2-byte sequence missing its last byte (U+0000 form)", "c0", false],
    ["3-byte sequence missing its last byte (U+0000 form)", "e080", false],
    ["4-byte sequence missing its last byte (U+0000 form)", "f08080", false],
    ["5-byte sequence missing its last byte", "f8808080", false],
    ["6-byte sequence missing its last byte", "fc80808080", false],
    ["2-byte sequence missing its last byte (U+07FF form)", "df", false],
    ["3-byte sequence missing its last byte (U+FFFF form)", "efbf", false],
    ["4-byte sequence missing its last byte (U+1FFFFF form)", "f7bfbf", false],
    ["5-byte sequence missing its last byte (max form)", "fbbfbfbf", false],
    ["6-byte sequence missing its last byte (max form)", "fdbfbfbfbf", false],
  ]),
  ...table("6.15", [
    ["all of 6.14 concatenated", "c0e080f08080f8808080fc80808080dfefbff7bfbffbbfbfbffdbfbfbfbf", false],
  ]),
  ...table("6.16", [
    ["impossible byte 0xFE", "fe", false],
    ["impossible byte 0xFF", "ff", false],
    ["0xFE 0xFE 0xFF 0xFF", "fefeffff", false],
  ]),
  ...table("6.17", [
    ['"/" as an overlong 2-byte sequence', "c0af", false],
    ['"/" as an overlong 3-byte sequence', "e080af", false],
    ['"/" as an overlong 4-byte sequence', "f08080af", false],
    ['"/" as an overlong 5-byte sequence', "f8808080af", false],
    ['"/" as an overlong 6-byte sequence', "fc80808080af", false],
  ]),
  ...table("6.18", [
    ["largest overlong 2-byte sequence", "c1bf", false],
    ["largest overlong 3-byte sequence", "e09fbf", false],
    ["largest overlong 4-byte sequence", "f08fbfbf", false],
    ["largest overlong 5-byte sequence", "f887bfbfbf", false],
    ["largest overlong 6-byte sequence", "fc83bfbfbfbf", false],
  ]),
  ...table("6.19", [
    ["NUL as an overlong 2-byte sequence", "c080", false],
    ["NUL as an overlong 3-byte sequence", "e08080", false],
    ["NUL as an overlong 4-byte sequence", "f0808080", false],
    ["NUL as an overlong 5-byte sequence", "f880808080", false],
    ["NUL as an overlong 6-byte sequence", "fc8080808080", false],
  ]),
  ...table(
    "6.20",
    ["eda080", "edadbf", "edae80", "edafbf", "edb080", "edbe80", "edbfbf"].map(
      (h): [string, string, boolean] => ["lone UTF-16 surrogate", h, false],
    ),
  ),
  ...table(
    "6.21",
    [
      "eda080edb080",
      "eda080edbfbf",
      "edadbfedb080",
      "edadbfedbfbf",
      "edae80edb080",
      "edae80edbfbf",
      "edafbfedb080",
      "edafbfedbfbf",
    ].map((h): [string, string, boolean] => [
      "UTF-16 surrogate pair encoded as two 3-byte sequences",
      h,
      false,
    ]),
  ),
  ...table("6.22", [
    ["noncharacter U+FFFE (valid UTF-8)", "efbfbe", true],
    ["noncharacter U+FFFF (valid UTF-8)", "efbfbf", true],
    ...Array.from({ length: 16 }, (_, i) => plane(i + 1)).flatMap(
      ([a, b], i): [string, string, boolean][] => [
        [`noncharacter U+${(i + 1).toString(16).toUpperCase()}FFFE (valid UTF-8)`, a, true],
        [`noncharacter U+${(i + 1).toString(16).toUpperCase()}FFFF (valid UTF-8)`, b, true],
      ],
    ),
  ]),
  ...table("6.23", [
    ["U+FFF9 interlinear annotation anchor", "efbfb9", true],
    ["U+FFFA interlinear annotation separator", "efbfba", true],
    ["U+FFFB interlinear annotation terminator", "efbfbb", true],
    ["U+FFFC object replacement character", "efbfbc", true],
    ["U+FFFD replacement character", "efbfbd", true],
    ["U+FEFF byte order mark", "efbbbf", true],
    ["noncharacters U+FDD0 and U+FDEF", "efb790efb7af", true],
  ]),
];

export const utf8: FrameCase[] = [...basics, ...failFastCases, ...sequences];
