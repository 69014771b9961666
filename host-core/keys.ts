// 5.3: a fresh, unpredictable masking key per client frame, drawn from a pool so that
// crypto.getRandomValues runs once per 256 frames rather than once per frame.
export class KeySource {
  private pool = new Uint32Array(256);
  private pos = 256;

  next(): number {
    if (this.pos === this.pool.length) {
      crypto.getRandomValues(this.pool);
      this.pos = 0;
    }
    return this.pool[this.pos++];
  }
}
