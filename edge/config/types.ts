/** TypeScript shape of the resolved gateway config (after defaults). Kept in step with schema.ts by hand; the schema is the authority. */
export interface BusCommon {
  id: string;
  description?: string;
  timeoutMs: number;
  interByteTimeoutMs: number;
  guardTimeMs: number;
  retries: number;
}
export interface SerialBusConfig extends BusCommon {
  type: 'serial';
  path: string;
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
  dataBits: 7 | 8;
  stopBits: 1 | 2;
}
export interface TcpBusConfig extends BusCommon {
  type: 'tcp';
  host: string;
  port: number;
}
export type BusConfig = SerialBusConfig | TcpBusConfig;

export type MeterProtocol = 'mbus' | 'modbus' | 'tsrv' | 'karat' | 'iec62056';

export interface HeatSystemConfig {
  system: number;
  name?: string;
  regimeMap?: string;
}
export interface MeterConfig {
  id: string;
  description?: string;
  bus: string;
  protocol: MeterProtocol;
  address?: number | string;
  profile?: string;
  heatSystems: HeatSystemConfig[];
  poll: {
    hourlyOffsetMinutes: number;
    currentIntervalSeconds: number;
    archiveDepthHours: number;
    clockDriftLimitSeconds: number;
  };
}

export interface ToleranceConfig {
  below?: number;
  above?: number;
  unit: '%' | 'abs';
}
export interface InterruptionLimitsConfig {
  monthHours: number;
  onceHours: number;
  percentPerHour: number;
}
/** A regime map as resolved (defaults filled in); edge/regime/schema.ts is the authority. */
export interface RegimeMapConfig {
  id: string;
  description?: string;
  kind: 'heating' | 'hotWater';
  schedule?: { outdoor: number; t1: number; t2: number }[];
  breakPoint?: number;
  cutOff?: number;
  tolerances: Partial<Record<'t1' | 't2' | 'P1' | 'P2' | 'dP', ToleranceConfig>>;
  pressure?: { p1?: number; p2?: number; p1Min?: number; p1Max?: number; p2Min?: number; p2Max?: number; dpMin?: number };
  hotWater: {
    param: 't1' | 't3';
    minTemp: number;
    maxTemp: number;
    dayAllowance: number;
    nightAllowance: number;
    nightFrom: string;
    nightTo: string;
    coldBelow: number;
    stepC: number;
    percentPerStep: number;
    stepRounding: 'ceil' | 'floor';
  };
  interruption: { massAtMost: number; heating: InterruptionLimitsConfig; hotWater: InterruptionLimitsConfig };
  outdoorAveragingHours: number;
}

export interface DestinationConfig {
  id: string;
  role: string;
  url: string;
  topicPrefix: string;
  clientId?: string;
  username?: string;
  password?: string;
  passwordFile?: string;
  protocolVersion: 4 | 5;
  tls?: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean };
  batch: { maxEntries: number; maxBytes: number; window: number };
}

export interface GatewayConfig {
  $schema?: string;
  gatewayId: string;
  timeZone: string;
  /** Absolute after loading. */
  dataDir: string;
  keys: { signingKey: string };
  buses: BusConfig[];
  meters: MeterConfig[];
  regimeMaps: RegimeMapConfig[];
  outdoorTemperature: { source: 'meter' | 'external'; meter?: string };
  destinations: DestinationConfig[];
  status: { enabled: boolean; bind: string; port: number; basicAuth?: { username: string; passwordHash: string } };
  nodeRed: { enabled: boolean; bind: string; port: number; adminAuth?: { username: string; passwordHash: string } };
}
