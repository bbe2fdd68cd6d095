import { describe, expect, it, vi, afterEach } from 'vitest';
import { clockFromEnv, realClock, scaledClock } from './clock.js';

afterEach(() => vi.useRealTimers());

describe('clock', () => {
  it('scales time from an anchor', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const c = scaledClock(1_000_000, 0, 360);
    expect(c.now()).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(c.now()).toBe(3_600_000);
    expect(c.realDelayUntil(7_200_000)).toBe(10_000);
    expect(c.realDelayUntil(0)).toBe(0);
  });

  it('reads OPENGKH_CLOCK and refuses a malformed one', () => {
    expect(clockFromEnv({})).toBe(realClock);
    expect(clockFromEnv({ OPENGKH_CLOCK: '5,10,2' }).scale).toBe(2);
    expect(() => clockFromEnv({ OPENGKH_CLOCK: '5,x,2' })).toThrow(/OPENGKH_CLOCK/);
    expect(() => clockFromEnv({ OPENGKH_CLOCK: '5,1,0' })).toThrow(/positive/);
  });
});
