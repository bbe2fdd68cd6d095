/**
 * The runtime half of the gkh-* Node-RED nodes (the editor half is nodes/opengkh.html). Loaded by the
 * CommonJS shim nodes/opengkh.cjs through a dynamic import, so the same file serves the embedded editor
 * (`startNodeRed`) and a plain Node-RED 4.x palette install.
 *
 * The gateway arrives as `RED.settings.opengkhGateway` (a GatewayHandle), set by startNodeRed. Without it
 * (a plain Node-RED) the config nodes still compile and validate on deploy, and the flow nodes show
 * "no gateway".
 *
 * Deploy: on `flows:started` the gkh config nodes are compiled (compile.ts) and validated with the one
 * config schema (validateConfig). Valid and different from the running config → handle.applyConfig.
 * Invalid → the running config stays; every problem goes (1) to its config node as node.error (Debug
 * sidebar, with a link to the node), (2) to the editor as a RED.notify popup (comms topic
 * `opengkh/deploy`), (3) into the status of gkh-status nodes, (4) to GET <admin>/opengkh/deploy.
 */
import { EventEmitter } from 'node:events';
import { isGkhError } from '../errors.js';
import { clockFromEnv } from '../clock.js';
import { formatProblem, gatewayConfigSchema, validateConfig, type GatewayConfig, type SchemaProblem } from '../config/index.js';
import type { GatewayHandle } from '../handle.js';
import { compileFlow, originOf, type FlowNode } from './compile.js';
import type { NodeApi, NodeRedApi, NodeMessage } from './red-types.js';

/** What the last deploy did to the gateway config (also served at GET <admin>/opengkh/deploy). */
export interface DeployResult {
  seq: number;
  /** ISO time (wall clock). */
  at: string;
  /**
   * `applied`: the gateway runs the flow's config now; `unchanged`: it already did; `rejected`: problems,
   * the running config stays; `valid`: valid but no gateway in this Node-RED; `none`: the flow has no gkh
   * config nodes (the gateway config is left alone); `error`: applying failed.
   */
  state: 'applied' | 'unchanged' | 'rejected' | 'valid' | 'none' | 'error';
  problems: (SchemaProblem & { node?: string; nodeName?: string })[];
  message: string;
}

/** Comms topic the editor listens on for deploy results. */
export const DEPLOY_TOPIC = 'opengkh/deploy';

/** A stand-in for the parts of the config a flow does not describe, when no gateway runs here. */
const PLACEHOLDER_BASE = {
  gatewayId: 'node-red',
  timeZone: 'UTC',
  dataDir: '.',
  keys: { signingKey: 'keys/gateway.key' },
  buses: [],
  meters: [],
  regimeMaps: [],
  outdoorTemperature: { source: 'meter' },
  destinations: [],
  status: { enabled: false, bind: '127.0.0.1', port: 8080 },
  nodeRed: { enabled: false, bind: '127.0.0.1', port: 1880 },
} satisfies GatewayConfig;

/** Canonical JSON (sorted keys) for "is this the config already in force?". */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

const deployEvents = new EventEmitter();
let lastResult: DeployResult | undefined;
let seq = 0;
let detachPrevious: (() => void) | undefined;

/** The last deploy result of this process (tests, the admin endpoint). */
export function lastDeployResult(): DeployResult | undefined {
  return lastResult;
}

/** Waits for the next deploy result (tests). */
export function nextDeployResult(timeoutMs = 20_000): Promise<DeployResult> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      deployEvents.off('result', on);
      reject(new Error(`no gkh deploy result within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (r: DeployResult) => {
      clearTimeout(t);
      resolve(r);
    };
    deployEvents.once('result', on);
  });
}

function gatewayOf(RED: NodeRedApi): GatewayHandle | undefined {
  return (RED.settings as { opengkhGateway?: GatewayHandle }).opengkhGateway;
}

async function onDeploy(RED: NodeRedApi, flows: FlowNode[]): Promise<DeployResult> {
  const handle = gatewayOf(RED);
  const base = handle?.config ?? PLACEHOLDER_BASE;
  const compiled = compileFlow(flows, base, (id) => RED.nodes.getCredentials(id) as Record<string, unknown> | undefined);
  const names = new Map(flows.map((n) => [n.id, typeof n.name === 'string' && n.name !== '' ? n.name : `${n.type}:${String(n.busId ?? n.meterId ?? n.mapId ?? n.destinationId ?? n.id)}`]));
  const result = (state: DeployResult['state'], message: string, problems: SchemaProblem[] = []): DeployResult => ({
    seq: ++seq,
    at: new Date().toISOString(),
    state,
    message,
    problems: problems.map((p) => {
      const node = originOf(p.path, compiled.origins);
      return node === undefined ? p : { ...p, node, nodeName: names.get(node) };
    }),
  });
  if (compiled.configNodes === 0) return result('none', 'no gkh config nodes in the flow: gateway config left as it is / в потоке нет узлов конфигурации gkh: конфигурация шлюза не изменена');
  // Reference problems (a meter's bus node missing) first; the schema's own problems at other paths after.
  const problems = [...compiled.problems];
  let resolved: GatewayConfig | undefined;
  try {
    resolved = validateConfig(compiled.candidate, base.dataDir);
  } catch (e) {
    if (!isGkhError(e, 'CONFIG_INVALID')) throw e;
    const known = new Set(problems.map((p) => p.path));
    problems.push(...(e.context.problems as SchemaProblem[]).filter((p) => !known.has(p.path)));
  }
  if (problems.length > 0 || resolved === undefined) return result('rejected', `config rejected, the running config stays / конфигурация отклонена, действует прежняя (${problems.length})`, problems);
  if (!handle) return result('valid', 'config valid; no gateway runs in this Node-RED / конфигурация верна; шлюз в этом Node-RED не запущен');
  if (canonical(resolved) === canonical(handle.config)) return result('unchanged', 'gateway already runs this config / шлюз уже работает с этой конфигурацией');
  // The gateway applies a config between meter transactions, after the poll cycle in progress (a backfill
  // can take minutes on a 9600-baud line): say so meanwhile.
  RED.comms.publish(DEPLOY_TOPIC, { seq: 0, at: new Date().toISOString(), state: 'applying', problems: [], message: 'applying the config after the poll in progress… / конфигурация применяется после текущего опроса…' }, false);
  deployEvents.emit('applying');
  const applied = await handle.applyConfig(compiled.candidate);
  if (!applied.ok) return result('rejected', `config rejected by the gateway, the running config stays / шлюз отклонил конфигурацию (${applied.problems.length})`, applied.problems);
  return result('applied', `gateway config applied: ${resolved.buses.length} bus(es), ${resolved.meters.length} meter(s) / конфигурация применена`);
}

function report(RED: NodeRedApi, r: DeployResult): void {
  lastResult = r;
  const text = (p: DeployResult['problems'][number]) => `${p.nodeName ? `[${p.nodeName}] ` : ''}${formatProblem(p)}`;
  if (r.state === 'rejected') {
    RED.log.warn(`[opengkh] ${r.message}\n${r.problems.map((p) => `  ${text(p)}`).join('\n')}`);
    for (const p of r.problems) {
      const node = p.node === undefined ? undefined : RED.nodes.getNode(p.node);
      // Config nodes' errors reach the Debug sidebar with a link to the node.
      if (node) node.error(formatProblem(p));
    }
  } else if (r.state === 'error') RED.log.error(`[opengkh] ${r.message}`);
  else RED.log.info(`[opengkh] ${r.message}`);
  RED.comms.publish(DEPLOY_TOPIC, r, true);
  deployEvents.emit('result', r);
}

type Constructor = (this: NodeApi, config: FlowNode) => void;

/** Registers every gkh-* node type with the Node-RED runtime `RED`. */
export default function register(RED: NodeRedApi): void {
  // One listener per process even when the module is registered again (test helper, restarts).
  detachPrevious?.();
  const onStarted = (ev: { config?: { flows?: FlowNode[] } }) => {
    const flows = ev.config?.flows ?? [];
    onDeploy(RED, flows).then(
      (r) => report(RED, r),
      (e: unknown) => report(RED, { seq: ++seq, at: new Date().toISOString(), state: 'error', problems: [], message: `applying the config failed / ошибка применения: ${String((e as Error).message ?? e)}` }),
    );
  };
  RED.events.on('flows:started', onStarted);
  detachPrevious = () => RED.events.removeListener('flows:started', onStarted);

  const clock = clockFromEnv();
  const noGateway = { fill: 'red', shape: 'ring', text: 'no gateway / нет шлюза' } as const;

  // Editor support: the schema (for dialog validation) and the last deploy result.
  RED.httpAdmin.get('/opengkh/schema', RED.auth.needsPermission('flows.read'), (_req, res) => res.json(gatewayConfigSchema));
  RED.httpAdmin.get('/opengkh/deploy', RED.auth.needsPermission('flows.read'), (_req, res) => res.json(lastResult ?? null));

  // Config nodes: their properties are read from the deployed flow by compile.ts; the instances exist so
  // that problems can be reported on them.
  const configNode: Constructor = function (config) {
    RED.nodes.createNode(this, config);
  };
  RED.nodes.registerType('gkh-bus', configNode);
  RED.nodes.registerType('gkh-meter', configNode);
  RED.nodes.registerType('gkh-regime', configNode);
  RED.nodes.registerType('gkh-destination', configNode, { credentials: { password: { type: 'password' } } });

  // gkh-readings: every stored hourly record and every logged event, as they are stored.
  RED.nodes.registerType('gkh-readings', function (this: NodeApi, config: FlowNode) {
    RED.nodes.createNode(this, config);
    const handle = gatewayOf(RED);
    if (!handle) {
      this.status(noGateway);
      return;
    }
    const what = typeof config.what === 'string' ? config.what : 'all';
    const meter = typeof config.meter === 'string' ? config.meter.trim() : '';
    let count = 0;
    const detach: (() => void)[] = [];
    if (what === 'all' || what === 'hourly')
      detach.push(
        handle.bus.on('hourly', (record, logIndex) => {
          if (meter !== '' && record.meterId !== meter) return;
          this.send({ topic: `opengkh/hourly/${record.meterId}/${record.system}`, payload: record, logIndex });
          this.status({ fill: 'green', shape: 'dot', text: `${++count}: ${record.meterId} ТС${record.system} ${new Date(record.hourStart * 1000).toISOString().slice(0, 13)}Z` });
        }),
      );
    if (what === 'all' || what === 'event')
      detach.push(
        handle.bus.on('event', (event, logIndex) => {
          if (meter !== '' && event.meterId !== meter) return;
          this.send({ topic: `opengkh/event/${event.type}`, payload: event, logIndex });
          this.status({ fill: 'blue', shape: 'dot', text: `${++count}: ${event.type}${event.meterId ? ` ${event.meterId}` : ''}` });
        }),
      );
    this.status({ fill: 'grey', shape: 'ring', text: 'waiting / ожидание' });
    this.on('close', () => detach.forEach((d) => d()));
  });

  // gkh-read: an on-demand read through the meter's bus queue.
  RED.nodes.registerType('gkh-read', function (this: NodeApi, config: FlowNode) {
    RED.nodes.createNode(this, config);
    const handle = gatewayOf(RED);
    if (!handle) this.status(noGateway);
    this.on('input', (msg: NodeMessage, send, done) => {
      const h = gatewayOf(RED);
      if (!h) {
        done(new Error('no gateway runs in this Node-RED / шлюз не запущен'));
        return;
      }
      const meterId = typeof msg.meterId === 'string' && msg.meterId !== '' ? msg.meterId : typeof config.meter === 'string' ? config.meter.trim() : '';
      const what = typeof msg.what === 'string' ? msg.what : typeof config.what === 'string' ? config.what : 'current';
      if (meterId === '') {
        done(new Error('no meter id (node setting or msg.meterId) / не указан счётчик'));
        return;
      }
      let p: Promise<unknown>;
      if (what === 'identify') p = h.readMeter(meterId, 'identify');
      else if (what === 'hourly') {
        const hours = Number(msg.hours ?? config.hours ?? 1);
        const toHour = typeof msg.toHour === 'number' ? msg.toHour : Math.floor(clock.now() / 3_600_000) * 3600;
        const fromHour = typeof msg.fromHour === 'number' ? msg.fromHour : toHour - Math.max(1, Math.min(24 * 45, Math.floor(hours))) * 3600;
        p = h.readMeter(meterId, { fromHour, toHour });
      } else p = h.readMeter(meterId, 'current');
      this.status({ fill: 'yellow', shape: 'ring', text: `${meterId}: ${what}…` });
      p.then(
        (payload) => {
          this.status({ fill: 'green', shape: 'dot', text: `${meterId}: ${what} ok` });
          send({ ...msg, topic: `opengkh/read/${meterId}/${what}`, payload });
          done();
        },
        (e: unknown) => {
          const code = isGkhError(e) ? e.code : 'ERROR';
          this.status({ fill: 'red', shape: 'dot', text: `${meterId}: ${code}` });
          msg.error = { code, message: (e as Error).message };
          done(e as Error);
        },
      );
    });
  });

  // gkh-outdoor: outdoor temperature from another source (°C in msg.payload).
  RED.nodes.registerType('gkh-outdoor', function (this: NodeApi, config: FlowNode) {
    RED.nodes.createNode(this, config);
    if (!gatewayOf(RED)) this.status(noGateway);
    const source = typeof config.source === 'string' && config.source.trim() !== '' ? config.source.trim() : 'node-red';
    this.on('input', (msg: NodeMessage, _send, done) => {
      const h = gatewayOf(RED);
      if (!h) {
        done(new Error('no gateway runs in this Node-RED / шлюз не запущен'));
        return;
      }
      const v = typeof msg.payload === 'number' ? msg.payload : typeof msg.payload === 'string' && msg.payload.trim() !== '' ? Number(msg.payload.replace(',', '.')) : NaN;
      // Plausibility: the lowest air temperature measured in Russia is −71.2 °C (Oymyakon, 1926), the highest +45.4 °C.
      if (!Number.isFinite(v) || v < -80 || v > 60) {
        this.status({ fill: 'red', shape: 'dot', text: `rejected: ${String(msg.payload)}` });
        done(new Error(`outdoor temperature must be a number of °C in −80…+60, got ${JSON.stringify(msg.payload)} / температура наружного воздуха должна быть числом °C`));
        return;
      }
      const at = typeof msg.timestamp === 'number' ? msg.timestamp : clock.now();
      h.setOutdoorTemperature(v, at, source);
      this.status({ fill: 'green', shape: 'dot', text: `${v} °C` });
      done();
    });
  });

  // gkh-status: the gateway's status snapshot, on input and every `interval` seconds; shows deploy results.
  RED.nodes.registerType('gkh-status', function (this: NodeApi, config: FlowNode) {
    RED.nodes.createNode(this, config);
    const show = () => {
      const h = gatewayOf(RED);
      if (lastResult?.state === 'rejected') {
        this.status({ fill: 'red', shape: 'dot', text: `config rejected: ${lastResult.problems.length} problem(s) / конфигурация отклонена` });
        return;
      }
      if (!h) {
        this.status(noGateway);
        return;
      }
      const s = h.status();
      const ok = s.meters.filter((m) => m.link === 'ok').length;
      const lost = s.meters.filter((m) => m.link === 'lost').length;
      this.status({ fill: lost > 0 ? 'red' : ok === s.meters.length ? 'green' : 'yellow', shape: 'dot', text: `${ok}/${s.meters.length} meters ok${lost ? `, ${lost} lost` : ''}` });
    };
    const emit = (msg: NodeMessage) => {
      const h = gatewayOf(RED);
      if (!h) return false;
      this.send({ ...msg, topic: 'opengkh/status', payload: h.status(), deploy: lastResult });
      return true;
    };
    const onResult = () => show();
    const onApplying = () => this.status({ fill: 'yellow', shape: 'ring', text: 'applying config… / применяется…' });
    deployEvents.on('result', onResult);
    deployEvents.on('applying', onApplying);
    show();
    const seconds = Number(config.interval ?? 0);
    const timer = Number.isFinite(seconds) && seconds > 0 ? setInterval(() => (emit({}), show()), Math.max(1, seconds) * 1000) : undefined;
    this.on('input', (msg: NodeMessage, _send, done) => {
      show();
      if (emit(msg)) done();
      else done(new Error('no gateway runs in this Node-RED / шлюз не запущен'));
    });
    this.on('close', () => {
      deployEvents.off('result', onResult);
      deployEvents.off('applying', onApplying);
      if (timer) clearInterval(timer);
    });
  });
}
