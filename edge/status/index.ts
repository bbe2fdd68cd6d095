export { StatusServer, hashPassword, checkPassword, type StatusServerOptions } from './server.js';
export { renderHtml } from './html.js';
export { renderMetrics } from './metrics.js';
export { statusSchema } from './schema.js';
export type { StatusSnapshot, MeterStatus, DestinationStatus } from './types.js';
