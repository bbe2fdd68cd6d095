/**
 * Child process of the kill -9 durability test (store.crash.test.ts): writes batches of readings and
 * events, each batch in one transaction, and prints `committed <n>` to stdout after each commit returns.
 * Usage: node crash-child.js <db> <startBatch>
 */
import { insertEvent, insertReading, openDb } from './index.js';

const [file, startArg] = process.argv.slice(2);
const db = openDb(file!);
export const ROWS_PER_BATCH = 20;
let batch = Number(startArg);
const writeBatch = db.transaction((b: number) => {
  for (let i = 0; i < ROWS_PER_BATCH; i++) {
    insertReading(db, {
      meterId: `m${i}`,
      system: 1,
      hourStart: b * 3600,
      source: 'archive',
      values: { Q: { value: b + i / 1000, unit: 'Gcal' }, t1: { value: 70.25, unit: '°C' } },
      flags: [],
      rawFrames: ['68 03 03 68 08 01 72 7b 16'.repeat(8)],
      readAt: Date.now(),
    });
  }
  insertEvent(db, { at: Date.now(), type: 'batch', data: { batch: b } });
});
for (;;) {
  writeBatch(batch);
  process.stdout.write(`committed ${batch}\n`);
  batch++;
}
