/** Test helper re-exports: the socat pty pair and the serial transport (edge/drivers/transport). */
export { socatPair, type PtyPair as PtyPairLike } from '../transport/socat.js';
export { SerialTransport } from '../transport/serial.js';
