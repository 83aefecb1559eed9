import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The parts of Express's request and response this layer uses. Express ships no types
 * and `@types/express` is not a dependency, so they are declared here, narrowly.
 */
export interface ApiRequest extends IncomingMessage {
  method: string;
  /** The path and query as received (Express keeps it when routers rewrite `url`). */
  originalUrl?: string;
  /** The parsed JSON body; undefined when the request had none. */
  body?: unknown;
  /** The matched route, set by Express's router: `path` is its pattern (`/v1/apps/:app`). */
  route?: { path?: unknown };
  /** Express's content-type check. */
  is?(types: string[]): string | false | null;
}

export interface ApiResponse extends ServerResponse {
  status(code: number): this;
  json(body: unknown): this;
  send(body?: unknown): this;
}

export type NextFunction = (error?: unknown) => void;
