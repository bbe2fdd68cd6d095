/**
 * The TCP side shared by the simulators (M-Bus bus, Modbus RTU server, IEC 62056-21 meter): accepts
 * connections, tracks them so `close()` can end them, and reports the bound port.
 */
import { createServer, type Socket } from 'node:net';

/** A listening simulator socket. */
export interface TcpListener {
  /** The port actually bound (port 0 picks a free one). */
  port: number;
  /** Ends every open connection and stops listening. */
  close(): Promise<void>;
}

/** Listens on `port` at `host` (default 127.0.0.1); `onSocket` gets each connection. Rejects with the listen error. */
export async function listenTcp(port: number, host: string | undefined, onSocket: (sock: Socket) => void): Promise<TcpListener> {
  const sockets = new Set<Socket>();
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
  return {
    port: typeof a === 'object' && a ? a.port : port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
