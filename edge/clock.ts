/**
 * Time source for the gateway and the simulators. Real time in production; in the demo and end-to-end
 * tests a scaled clock makes simulated hours pass in seconds. The scaled clock is a pure function of the
 * wall clock, so separate processes (gateway, simulators) given the same OPENGKH_CLOCK agree on "now".
 *
 * OPENGKH_CLOCK = "<anchor real unix ms>,<simulated unix ms at the anchor>,<scale>"
 * e.g. scale 360 = one simulated hour per 10 real seconds.
 */
export interface Clock {
  /** Current (possibly simulated) time, unix ms. */
  now(): number;
  /** Simulated ms per real ms (1 for the real clock). */
  readonly scale: number;
  /** Real ms to wait until simulated time `t` (0 when already past). */
  realDelayUntil(t: number): number;
}

export const realClock: Clock = {
  now: () => Date.now(),
  scale: 1,
  realDelayUntil: (t) => Math.max(0, t - Date.now()),
};

/** A clock running `scale` times faster than real time, at `origin` simulated ms when the wall clock read `anchor`. */
export function scaledClock(anchor: number, origin: number, scale: number): Clock {
  if (!(scale > 0)) throw new Error(`clock scale must be positive, got ${scale}`);
  return {
    now: () => origin + (Date.now() - anchor) * scale,
    scale,
    realDelayUntil(t) {
      const real = anchor + (t - origin) / scale;
      return Math.max(0, real - Date.now());
    },
  };
}

/** Formats a scaled clock for OPENGKH_CLOCK. */
export function clockSpec(anchor: number, origin: number, scale: number): string {
  return `${anchor},${origin},${scale}`;
}

/** The clock this process should use: OPENGKH_CLOCK when set (validated), else the real clock. */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock {
  const spec = env.OPENGKH_CLOCK;
  if (!spec) return realClock;
  const parts = spec.split(',').map(Number);
  if (parts.length !== 3 || parts.some((n) => !Number.isFinite(n))) throw new Error(`OPENGKH_CLOCK must be "<anchor ms>,<origin ms>,<scale>", got "${spec}"`);
  return scaledClock(parts[0]!, parts[1]!, parts[2]!);
}
