import { describe, expect, it } from 'vitest';
import { decimals, mean, sub } from './decimal.js';

describe('decimal', () => {
  it('counts decimals as printed', () => {
    expect(decimals(12)).toBe(0);
    expect(decimals(12.345)).toBe(3);
    expect(decimals(1e-7)).toBe(7);
    expect(decimals(1.5e-7)).toBe(8);
  });
  it('subtracts without float noise', () => {
    expect(12345.678 - 12345.001).not.toBe(0.677);
    expect(sub(12345.678, 12345.001)).toBe(0.677);
    expect(sub(100, 99.99)).toBe(0.01);
    expect(sub(5, 5)).toBe(0);
  });
  it('averages at one more digit', () => {
    expect(mean([70.25, 70.3])).toBe(70.275);
    expect(mean([60, 61])).toBe(60.5);
  });
});
