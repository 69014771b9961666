import { f } from "../../assembly/index";
describe("probe", () => {
  it("simd flag", () => {
    const p = heap.alloc(16);
    expect<i32>(f(p, 1)).toBe(ASC_FEATURE_SIMD ? 1 : 0);
  });
});
