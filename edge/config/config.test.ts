import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isGkhError } from '../errors.js';
import { gatewayConfigSchema } from './schema.js';
import { validateConfig } from './load.js';

const root = new URL('../../', import.meta.url).pathname;
const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.json'));
const read = (f: string) => JSON.parse(readFileSync(join(root, 'examples', f), 'utf8')) as Record<string, unknown>;

function problemsOf(input: unknown): { path: string; expected: string; found: string }[] {
  try {
    validateConfig(input);
  } catch (e) {
    if (isGkhError(e, 'CONFIG_INVALID')) return e.context.problems as { path: string; expected: string; found: string }[];
    throw e;
  }
  throw new Error('config unexpectedly valid');
}

describe('gateway config', () => {
  it('has example configs', () => expect(examples.length).toBeGreaterThanOrEqual(3));

  it.each(examples)('example %s is valid and names the schema', (f) => {
    const cfg = read(f);
    expect(cfg.$schema).toBe('../edge/config/gateway.schema.json');
    const resolved = validateConfig(cfg, '/base');
    expect(resolved.meters.length).toBeGreaterThan(0);
    for (const m of resolved.meters) expect(m.poll.hourlyOffsetMinutes).toBeTypeOf('number');
  });

  it('fills defaults: serial 2400 8E1, retries, status page', () => {
    const cfg = validateConfig({ gatewayId: 'g', timeZone: 'Europe/Moscow', dataDir: 'data', buses: [{ id: 'b', type: 'serial', path: '/dev/ttyS0' }], meters: [] }, '/srv/gw');
    expect(cfg.buses[0]).toMatchObject({ baudRate: 2400, parity: 'even', dataBits: 8, stopBits: 1, retries: 2, timeoutMs: 1000 });
    expect(cfg.status).toEqual({ enabled: true, bind: '0.0.0.0', port: 8080 });
    expect(cfg.dataDir).toBe('/srv/gw/data');
    expect(cfg.keys.signingKey).toBe('keys/gateway.key');
  });

  it.each(examples)('a misspelled key in %s is an error naming its JSON path', (f) => {
    const cfg = read(f);
    const meters = cfg.meters as Record<string, unknown>[];
    const m0 = meters[0]!;
    const { bus, ...rest } = m0;
    meters[0] = { ...rest, buss: bus };
    const problems = problemsOf(cfg);
    expect(problems).toContainEqual({ path: '/meters/0/buss', expected: 'a known key (did you mean "bus"?)', found: 'unknown key "buss"' });
  });

  it('reports unknown top-level keys, wrong enums, time zones and cross-references', () => {
    const problems = problemsOf({
      gatewayId: 'g',
      timeZone: 'Asia/Nowhere',
      dataDir: 'd',
      statu: {},
      buses: [{ id: 'tcp1', type: 'tcp', host: 'h', port: 70000 }],
      meters: [
        { id: 'm', bus: 'tcp9', protocol: 'mbuss' },
        { id: 'm', bus: 'tcp1', protocol: 'modbus' },
      ],
    });
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['/statu', '/timeZone', '/buses/0/port', '/meters/0/protocol']));
    const cross = problemsOf({ gatewayId: 'g', timeZone: 'UTC', dataDir: 'd', buses: [{ id: 'tcp1', type: 'tcp', host: 'h', port: 1 }], meters: [{ id: 'm', bus: 'tcp9', protocol: 'mbus' }, { id: 'm', bus: 'tcp1', protocol: 'modbus' }] });
    expect(cross.map((p) => p.path)).toEqual(['/meters/1/id', '/meters/0/bus', '/meters/1/profile']);
    expect(cross[1]!.expected).toContain('tcp1');
  });

  it('refuses keys of the other bus type', () => {
    const problems = problemsOf({ gatewayId: 'g', timeZone: 'UTC', dataDir: 'd', buses: [{ id: 'b', type: 'tcp', host: 'h', port: 1, parity: 'even' }], meters: [] });
    expect(problems.map((p) => p.path)).toContain('/buses/0/parity');
  });

  it('refuses a Node-RED editor without credentials', () => {
    const problems = problemsOf({ gatewayId: 'g', timeZone: 'UTC', dataDir: 'd', buses: [], meters: [], nodeRed: { enabled: true } });
    expect(problems.map((p) => p.path)).toEqual(['/nodeRed/adminAuth']);
  });

  it('the committed gateway.schema.json equals the TypeScript schema (run `npm run schema` after a change)', () => {
    const onDisk = JSON.parse(readFileSync(join(root, 'edge/config/gateway.schema.json'), 'utf8')) as unknown;
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(gatewayConfigSchema)));
  });
});

describe('README config reference', () => {
  it('is in step with the schema (run `npm run schema` after a change)', async () => {
    const { withReference } = await import('../../scripts/gen-schema.js');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toBe(withReference(readme));
  });
});
