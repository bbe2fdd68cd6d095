export { gatewayConfigSchema } from './schema.js';
export { loadConfig, validateConfig, dataPath } from './load.js';
export { makeAjv, describeErrors, formatProblem, isIanaTimeZone, type SchemaProblem } from './validate.js';
export type * from './types.js';
