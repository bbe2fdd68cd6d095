/**
 * The simulated heat meter's physics: volume, energy and temperatures as closed-form functions of
 * time, so any instant (simulated or accelerated) gives consistent cumulative registers without ticking.
 * Flow q(t) = q0·(1 + 0.2·sin(2πt/24h)) m³/h, supply t1 = 70 + 5·sin(2πt/24h) °C, return t2 = t1 − Δt,
 * heat = 1.163 kWh/(m³·K) · Δt · volume (water, EN 1434 approximation).
 */

/** Parameters of one simulated meter (defaults in brackets). */
export interface MeterModelOptions {
  /** Mean flow, m³/h [1.2]. */
  flowM3h?: number;
  /** Supply − return temperature difference, K [25]. */
  deltaT?: number;
  /** Volume at t = 0 (unix ms 0), m³ [0]; a per-meter offset keeps meters apart. */
  volumeOffsetM3?: number;
}

const DAY_H = 24;
const W = (2 * Math.PI) / DAY_H;

/** Register values at an instant. Volume in litres, energy in units of 10 Wh, temperatures in 0.01 °C (the meter's resolution). */
export interface MeterSnapshot {
  /** Integer litres. */
  volumeL: number;
  /** Integer units of 10 Wh. */
  energy10Wh: number;
  /** l/h. */
  flowLh: number;
  /** W. */
  powerW: number;
  /** 0.01 °C. */
  t1c: number;
  t2c: number;
  /** 0.01 K. */
  dtc: number;
  /** Hours since t = 0. */
  hours: number;
}

/** Cumulative registers at `ms` (unix ms). */
export function snapshot(ms: number, o: MeterModelOptions = {}): MeterSnapshot {
  const q0 = o.flowM3h ?? 1.2;
  const dt = o.deltaT ?? 25;
  const h = ms / 3_600_000;
  // ∫ q0(1 + 0.2 sin(wt)) dt = q0 (t + 0.2 (1 − cos wt) / w)
  const volM3 = (o.volumeOffsetM3 ?? 0) + q0 * (h + (0.2 * (1 - Math.cos(W * h))) / W);
  const flow = q0 * (1 + 0.2 * Math.sin(W * h));
  const t1 = 70 + 5 * Math.sin(W * h);
  const energyKWh = 1.163 * dt * volM3;
  return {
    volumeL: Math.floor(volM3 * 1000),
    energy10Wh: Math.floor(energyKWh * 100),
    flowLh: Math.round(flow * 1000),
    powerW: Math.round(1.163 * dt * flow * 1000),
    t1c: Math.round(t1 * 100),
    t2c: Math.round((t1 - dt) * 100),
    dtc: Math.round(dt * 100),
    hours: Math.floor(h),
  };
}
