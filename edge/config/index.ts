export { gatewayConfigSchema } from './schema.js';
export { loadConfig, validateConfig, dataPath, dbPath } from './load.js';
export { makeAjv, describeErrors, formatProblem, isIanaTimeZone, type SchemaProblem } from './validate.js';
export type * from './types.js';
