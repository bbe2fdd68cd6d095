/** M-Bus (EN 13757-2/-3): codec, session, scan, driver and simulator. */
export { ACK, checksum, encodeFrame, frameLength, parseFrame, type Frame } from './frame.js';
export { C, CI, ADDR, FCB, FCV, appReset, reqUd2, selectSecondary, sndNke, isRspUd } from './link.js';
export {
  MEDIUM,
  mediumName,
  decodeManufacturer,
  encodeManufacturer,
  parseSecondary,
  encodeSecondaryMask,
  decodeSecondaryMask,
  matchesSecondary,
  formatSecondary,
  type MbusHeader,
  type SecondaryAddress,
} from './header.js';
export { decodeRecords, encodeRecord, type MbusRecord, type RecordSpec, type RecordFunction, type DataType } from './records.js';
export { decodeTelegram, decodeUserData, parseHex, APPLICATION_ERRORS, type Telegram } from './telegram.js';
export { MbusSession, type SessionOptions, type Answer, type ReadResult } from './session.js';
export { scanPrimary, scanSecondary, type FoundMeter, type ScanResult, type ScanProblem } from './scan.js';
export { MbusDriver, mbusSession, CUMULATIVE_KEYS, type MbusDriverOptions } from './driver.js';
export { SimBus, SimMeter, serveSerial, serveTcp, meterSeries, collide, type SimMeterOptions, type SimBusOptions, type SimEndpoint } from './simulator.js';
export { snapshot, type MeterSnapshot, type MeterModelOptions } from './meter-model.js';
export { wallClock, zonedToUtc } from './tz.js';
