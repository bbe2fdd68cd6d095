/**
 * The slice of the Node-RED 4.x runtime API the gkh nodes use (Node-RED ships no TypeScript types; the
 * shapes follow @node-red/registry/lib/util.js createNodeApi and @node-red/runtime/lib/nodes/Node.js).
 */
import type { EventEmitter } from 'node:events';

export interface NodeMessage {
  _msgid?: string;
  topic?: string;
  payload?: unknown;
  [key: string]: unknown;
}

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

/** A node instance (`this` inside a node constructor). */
export interface NodeApi {
  id: string;
  type: string;
  name?: string;
  send(msg: NodeMessage | NodeMessage[]): void;
  status(s: NodeStatus | Record<string, never>): void;
  log(msg: unknown): void;
  warn(msg: unknown): void;
  error(msg: unknown, m?: NodeMessage): void;
  on(ev: 'input', fn: (msg: NodeMessage, send: (m: NodeMessage | NodeMessage[]) => void, done: (err?: Error) => void) => void): void;
  on(ev: 'close', fn: (removed: boolean, done?: () => void) => void): void;
}

interface Res {
  json(v: unknown): void;
}
type Handler = (req: unknown, res: Res, next?: () => void) => void;

/** The `RED` object given to a node module. */
export interface NodeRedApi {
  nodes: {
    createNode(node: NodeApi, config: unknown): void;
    registerType(type: string, ctor: (this: NodeApi, config: never) => void, opts?: { credentials?: Record<string, { type: 'text' | 'password' }> }): void;
    getNode(id: string): NodeApi | null;
    getCredentials(id: string): unknown;
  };
  log: { info(m: string): void; warn(m: string): void; error(m: string): void; debug(m: string): void };
  settings: object;
  events: EventEmitter;
  comms: { publish(topic: string, data: unknown, retain: boolean): void };
  httpAdmin: { get(path: string, ...handlers: Handler[]): void };
  auth: { needsPermission(permission: string): Handler };
}
