/** Draws in [0, 1): Math.random by default, or a seeded mulberry32 so fault draws can be replayed. */
export class SandboxRandom {
  private state: number | null = null;
  private seedValue: number | null = null;

  constructor(seed?: number | null) {
    this.reseed(seed);
  }

  get seed(): number | null {
    return this.seedValue;
  }

  reseed(seed?: number | null): void {
    this.seedValue = seed ?? null;
    this.state = this.seedValue === null ? null : this.seedValue >>> 0;
  }

  next(): number {
    if (this.state === null) return Math.random();
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
