export { VERSION } from '../edge/version.js';
