/**
 * Hourly values of a simulated heating substation, physically consistent and reproducible:
 * the outdoor temperature follows a seasonal + daily curve, supply/return temperatures follow a
 * 95/70 heating schedule of it, mass flow is near constant, and heat Q = M·(h1 − h2) with
 * h = c·t, c = 4.1868 kJ/(kg·K) (water, the figure the Matrix ТСРВ driver also uses for GJ → Gcal).
 * Pure function of (seed, system, hourStart): any hour can be asked for in any order.
 */

/** kJ per kg per K. */
export const WATER_C = 4.1868;

/** Physical values of one hour of one heat system, before a meter's encoding. */
export interface SimHour {
  hourStart: number;
  system: number;
  /** °C */
  tOutdoor: number;
  /** Mean supply / return / cold-water temperature, °C. */
  t1: number;
  t2: number;
  t3: number;
  /** Mass for the hour, t (supply, return; return slightly less: losses and hot-water draw). */
  m1: number;
  m2: number;
  /** Density used for volumes, t/m³ (≈ 0.97 for 80 °C water). */
  rho: number;
  /** Heat for the hour, GJ: m1·c·(t1 − t3) − m2·c·(t2 − t3), the open-system formula (≈ M·Δt·c for a closed one). */
  qGJ: number;
  /** Pressures, MPa. */
  p1: number;
  p2: number;
  /** Normal-operation seconds of the hour (3600 unless an НС hour). */
  runSeconds: number;
}

/** Deterministic pseudo-random in [0, 1) from integers (mulberry32 of a mixed key). */
export function noise(...keys: number[]): number {
  let h = 0x9e3779b9;
  for (const k of keys) {
    h = Math.imul(h ^ (k | 0), 0x85ebca6b);
    h = Math.imul(h ^ Math.floor(k / 4294967296), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  let t = (h + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** Outdoor temperature at a UTC hour, °C: seasonal curve (coldest mid-January, −15…+15) + daily swing (±3, warmest 14:00 local ≈ 09 UTC+5) + noise. */
export function outdoorAt(hourStart: number, seed = 1): number {
  const day = hourStart / 86400;
  const seasonal = -15 * Math.cos((2 * Math.PI * (day - 15)) / 365.25) + 0;
  const daily = 3 * Math.cos((2 * Math.PI * (((hourStart / 3600) % 24) - 9)) / 24);
  return seasonal + daily + (noise(seed, Math.floor(hourStart / 3600)) - 0.5) * 2;
}

/** Supply and return temperatures of a 95/70 schedule at outdoor t (design −32 °C; floor 60/40 for hot water). */
export function scheduleAt(tOut: number): { t1: number; t2: number } {
  const k = Math.min(1, Math.max(0, (18 - tOut) / (18 + 32)));
  return { t1: Math.max(60, 18 + (95 - 18) * k), t2: Math.max(40, 18 + (70 - 18) * k) };
}

/** Simulated hour of `system` (1…) starting at `hourStart` (unix s, multiple of 3600). */
export function simHour(hourStart: number, system: number, seed = 1): SimHour {
  const h = Math.floor(hourStart / 3600);
  const tOutdoor = outdoorAt(hourStart, seed);
  const s = scheduleAt(tOutdoor);
  const t1 = s.t1 + (noise(seed, h, system, 1) - 0.5) * 1.5;
  const t2 = s.t2 + (noise(seed, h, system, 2) - 0.5) * 1.5;
  const t3 = 5 + (noise(seed, h, system, 3) - 0.5);
  const base = system === 1 ? 12 : 4;
  const m1 = base * (0.97 + noise(seed, h, system, 4) * 0.06);
  const m2 = m1 * (0.985 + noise(seed, h, system, 5) * 0.01);
  const qGJ = (m1 * WATER_C * (t1 - t3) - m2 * WATER_C * (t2 - t3)) / 1000;
  const faultHour = noise(seed, h, system, 6) < 0.01;
  return {
    hourStart,
    system,
    tOutdoor,
    t1,
    t2,
    t3,
    m1,
    m2,
    rho: 0.97,
    qGJ,
    p1: 0.6 + noise(seed, h, system, 7) * 0.02,
    p2: 0.4 + noise(seed, h, system, 8) * 0.02,
    runSeconds: faultHour ? 3600 - Math.floor(noise(seed, h, system, 9) * 1800) : 3600,
  };
}

/** Start of the newest closed hour at `nowMs` (its end ≤ now), unix s. */
export function lastClosedHour(nowMs: number): number {
  return Math.floor(nowMs / 3600_000) * 3600 - 3600;
}
