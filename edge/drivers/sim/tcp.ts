/**
 * The TCP side shared by the simulators (Modbus RTU server, IEC 62056-21 meter): accepts
 * connections, tracks open sockets so `close()` can end them, and resolves with the bound port.
 */
import { createServer, type Server, type Socket } from 'node:net';

/** Listens on `port` (0 = any) at `host` (default 127.0.0.1); `onSocket` gets each connection. */
export async function serveTcp(port: number, host: string | undefined, sockets: Set<Socket>, onSocket: (sock: Socket) => void): Promise<{ server: Server; port: number | undefined }> {
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    onSocket(sock);
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(port, host ?? '127.0.0.1', () => res());
  });
  const a = server.address();
  return { server, port: typeof a === 'object' && a ? a.port : undefined };
}
