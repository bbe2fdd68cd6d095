/**
 * Child process of the LogWriter kill -9 test (log-writer.test.ts): appends batches of hourly
 * entries through a LogWriter forever and prints `committed <size> <root hex>` after each batch's
 * promise resolves (the batch and its checkpoint are then on disk).
 * Usage: node log-writer-crash-child.js <db> <keyFile>
 */
import { loadKeyFile } from '../keys/index.js';
import { encodeHourly } from '../log/index.js';
import { LogWriter } from './log-writer.js';

const [file, keyFile] = process.argv.slice(2);
const writer = await LogWriter.open({ file: file!, gatewayId: 'crash-gw', privateKey: loadKeyFile(keyFile!).privateKey, maxInFlight: 2 });
for (let h = writer.size; ; h += 50) {
  const es = Array.from({ length: 50 }, (_, k) =>
    encodeHourly('crash-gw', { meterId: 'm1', system: 1, hourStart: 1767225600 + (h + k) * 3600, source: 'archive', values: { Q: { value: (h + k) / 1e4, unit: 'Gcal' } }, flags: [], rawFrames: ['68 03 03 68 08 01 72 7b 16'], readAt: 1767229265000 }, 'Europe/Moscow', 1767229270000),
  );
  await writer.drain();
  void writer.append(es).then((b) => process.stdout.write(`committed ${b.size} ${b.checkpoint.root.toString('hex')}\n`));
}
