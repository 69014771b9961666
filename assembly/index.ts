export function f(p: usize, n: i32): i32 {
  if (ASC_FEATURE_SIMD) { v128.store(p, v128.xor(v128.load(p), i32x4.splat(n))); return 1; }
  return 0;
}
