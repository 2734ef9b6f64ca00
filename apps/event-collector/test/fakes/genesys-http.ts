import type { IncomingMessage, ServerResponse } from 'node:http';

/** The fake servers' HTTP plumbing: the request log entry, whole request bodies, JSON answers. */

/** One request as the fake saw it (for assertions). */
export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  body: string;
  auth: string | undefined;
  status: number;
  /** When the request arrived (epoch ms). */
  at: number;
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Writes a JSON response. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(text);
}
