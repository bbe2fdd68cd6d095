import { describe, expect, it } from 'vitest';
import { fuzz } from './mbus.js';

describe('M-Bus decoder fuzz (CI-sized; npm run fuzz runs 1,000,000)', () => {
  it('20,000 mutated, truncated and random frames: only typed codec errors, no value from a bad checksum, no hang', () => {
    const rep = fuzz(20_000, 7);
    expect(rep.failures).toEqual([]);
    expect(rep.iterations).toBe(20_000);
    // The mutations must reach every layer: some decode, some fail the checksum, some fail inside records.
    expect(rep.decoded).toBeGreaterThan(1000);
    expect(rep.rejected.FRAME_CHECKSUM).toBeGreaterThan(100);
    expect(rep.rejected.FRAME_DATA).toBeGreaterThan(100);
  });
});
