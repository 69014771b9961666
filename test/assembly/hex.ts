// Memory as the hex of the bytes on the wire, for the specs.

// The n bytes at p as lowercase hex, two digits a byte.
export function hexAt(p: usize, n: u32): string {
  let out = "";
  for (let i: u32 = 0; i < n; i++) out += (<u32>load<u8>(p + i)).toString(16).padStart(2, "0");
  return out;
}
