import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withGenerated } from './doc.js';

describe('docs/status.md', () => {
  it('holds the current /api/status schema and metrics table (regenerate: node dist/scripts/gen-status-doc.js)', () => {
    const md = readFileSync(new URL('../../docs/status.md', import.meta.url), 'utf8');
    expect(md).toContain('"$id": "https://opengkh.org/schema/status.schema.json"');
    expect(md).toContain('`opengkh_destination_backlog_entries`');
    expect(withGenerated(md)).toBe(md);
  });
});
