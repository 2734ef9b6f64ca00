// Local stand-ins for the Lex V2 models API (HTTP/1.1: ListBots / ListBotAliases with pagination)
// and runtime API (cleartext HTTP/2, as the runtime client speaks it: RecognizeUtterance with
// compressed JSON headers and a 16 kHz PCM body), scripted per test. The SDK's `endpoint` options
// point here.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  createServer as createH2Server,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';

export interface RecognizeCall {
  readonly path: string;
  readonly botId: string;
  readonly botAliasId: string;
  readonly localeId: string;
  readonly sessionId: string;
  readonly contentType: string;
  readonly responseContentType: string;
  readonly sessionState: unknown;
  /** The SigV4 `Authorization` header (its `Credential=<access key id>/...` names the key). */
  readonly authorization: string;
  readonly body: Buffer;
}

export interface LexTurn {
  readonly messages?: { content: string; contentType?: string }[];
  readonly interpretations?: { intent?: { name?: string; state?: string } }[];
  readonly sessionState?: Record<string, unknown>;
  readonly inputTranscript?: string;
  /** 16 kHz 16-bit LE PCM to return. */
  readonly audio?: Buffer;
  /** Answer with this HTTP error instead. */
  readonly error?: { status: number; type: string; message: string };
}

function header(value: unknown): string {
  return gzipSync(Buffer.from(JSON.stringify(value))).toString('base64');
}

function readAll(req: IncomingMessage | Http2ServerRequest): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

export class FakeLex {
  readonly calls: RecognizeCall[] = [];
  readonly listCalls: string[] = [];
  /** Bots served by ListBots, one per page. */
  bots: {
    botId: string;
    botName: string;
    aliases: { botAliasId: string; lastUpdatedDateTime: number }[];
  }[] = [];
  /** The next turns, in order; when empty, `defaultTurn`. */
  turns: LexTurn[] = [];
  defaultTurn: LexTurn = { messages: [{ content: 'How can I help?', contentType: 'PlainText' }] };
  /** The next this many ListBots calls fail with HTTP 500 (a transient AWS error). */
  listBotsFailures = 0;
  readonly #server: Server;
  readonly #runtime: Http2Server;

  constructor() {
    this.#runtime = createH2Server((req, res) => this.#handle(req, res));
    this.#server = createServer((req, res) => this.#handle(req, res));
  }

  #handle(
    req: IncomingMessage | Http2ServerRequest,
    res: Http2ServerResponse | ServerResponse,
  ): void {
    {
      void readAll(req).then((body) => {
        const url = new URL(req.url ?? '/', 'http://lex');
        const json = (code: number, value: unknown, headers: Record<string, string> = {}): void => {
          res.writeHead(code, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(value));
        };
        if (url.pathname === '/bots' || url.pathname === '/bots/') {
          this.listCalls.push('ListBots');
          if (this.listBotsFailures > 0) {
            this.listBotsFailures -= 1;
            json(
              500,
              { message: 'transient failure' },
              { 'x-amzn-errortype': 'InternalServerException' },
            );
            return;
          }
          const request = JSON.parse(body.toString() || '{}') as { nextToken?: string };
          const index = request.nextToken !== undefined ? Number(request.nextToken) : 0;
          const bot = this.bots[index];
          json(200, {
            botSummaries: bot
              ? [{ botId: bot.botId, botName: bot.botName, botStatus: 'Available' }]
              : [],
            ...(index + 1 < this.bots.length ? { nextToken: String(index + 1) } : {}),
          });
          return;
        }
        const aliases = /^\/bots\/([^/]+)\/botaliases\/?$/.exec(url.pathname);
        if (aliases !== null) {
          this.listCalls.push(`ListBotAliases:${aliases[1]}`);
          const bot = this.bots.find((b) => b.botId === aliases[1]);
          json(200, {
            botId: aliases[1],
            botAliasSummaries: (bot?.aliases ?? []).map((a) => ({
              botAliasId: a.botAliasId,
              botAliasName: a.botAliasId,
              botAliasStatus: 'Available',
              lastUpdatedDateTime: a.lastUpdatedDateTime,
            })),
          });
          return;
        }
        const utter =
          /^\/bots\/([^/]+)\/botAliases\/([^/]+)\/botLocales\/([^/]+)\/sessions\/([^/]+)\/utterance$/.exec(
            url.pathname,
          );
        if (utter !== null && req.method === 'POST') {
          const state = req.headers['x-amz-lex-session-state'];
          this.calls.push({
            path: url.pathname,
            botId: decodeURIComponent(utter[1] ?? ''),
            botAliasId: decodeURIComponent(utter[2] ?? ''),
            localeId: decodeURIComponent(utter[3] ?? ''),
            sessionId: decodeURIComponent(utter[4] ?? ''),
            contentType: String(req.headers['content-type'] ?? ''),
            responseContentType: String(req.headers['response-content-type'] ?? ''),
            sessionState:
              typeof state === 'string'
                ? JSON.parse(gunzipSync(Buffer.from(state, 'base64')).toString())
                : undefined,
            authorization: String(req.headers['authorization'] ?? ''),
            body,
          });
          const turn = this.turns.shift() ?? this.defaultTurn;
          if (turn.error !== undefined) {
            json(
              turn.error.status,
              { message: turn.error.message },
              { 'x-amzn-errortype': turn.error.type },
            );
            return;
          }
          const headers: Record<string, string> = {
            'content-type': turn.audio !== undefined ? 'audio/pcm' : 'text/plain; charset=utf-8',
            'x-amz-lex-input-mode': 'Text',
            'x-amz-lex-session-id': decodeURIComponent(utter[4] ?? ''),
          };
          if (turn.messages !== undefined) headers['x-amz-lex-messages'] = header(turn.messages);
          if (turn.interpretations !== undefined)
            headers['x-amz-lex-interpretations'] = header(turn.interpretations);
          if (turn.sessionState !== undefined)
            headers['x-amz-lex-session-state'] = header(turn.sessionState);
          if (turn.inputTranscript !== undefined)
            headers['x-amz-lex-input-transcript'] = header(turn.inputTranscript);
          res.writeHead(200, headers);
          res.end(turn.audio ?? Buffer.alloc(0));
          return;
        }
        json(404, { message: `no route ${req.method} ${url.pathname}` });
      });
    }
  }

  /** Starts both servers; returns the models (HTTP/1.1) and runtime (HTTP/2) endpoints. */
  async listen(): Promise<{ models: string; runtime: string }> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => this.#runtime.listen(0, '127.0.0.1', resolve));
    return {
      models: `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`,
      runtime: `http://127.0.0.1:${(this.#runtime.address() as AddressInfo).port}`,
    };
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    await new Promise<void>((resolve) => this.#runtime.close(() => resolve()));
  }
}
