import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['edge/**/*.test.ts', 'receiver/**/*.test.ts', 'cli/**/*.test.ts', 'scripts/**/*.test.ts', 'image/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests spawn real processes (socat, mosquitto, the CLI); two cores here.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
