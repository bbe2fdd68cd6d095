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
