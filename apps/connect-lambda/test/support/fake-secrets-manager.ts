import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fake answers for one secret ARN. */
export type FakeSecret =
  | { SecretString: string }
  | { SecretBinary: string }
  | { error: string; message: string; status?: number }
  | { delayMs: number; SecretString: string };

export interface SecretsManagerRequest {
  target: string | undefined;
  authorization: string | undefined;
  body: Record<string, unknown>;
}

/**
 * A local HTTP fake of the Secrets Manager JSON 1.1 API (`GetSecretValue` only), for the AWS SDK v3
 * client pointed at it with its `endpoint` option.
 */
export interface FakeSecretsManager {
  readonly url: string;
  readonly requests: SecretsManagerRequest[];
  secrets: Map<string, FakeSecret>;
  close(): Promise<void>;
}

export async function startFakeSecretsManager(): Promise<FakeSecretsManager> {
  const secrets = new Map<string, FakeSecret>();
  const requests: SecretsManagerRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<
        string,
        unknown
      >;
      const target = req.headers['x-amz-target'];
      requests.push({
        target: typeof target === 'string' ? target : undefined,
        authorization: req.headers.authorization,
        body,
      });
      const reply = (status: number, payload: unknown, type?: string): void => {
        res.writeHead(status, {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-requestid': 'req-1',
          ...(type === undefined ? {} : { 'x-amzn-errortype': type }),
        });
        res.end(JSON.stringify(payload));
      };
      if (target !== 'secretsmanager.GetSecretValue') {
        reply(
          400,
          { __type: 'UnknownOperationException', message: 'unknown operation' },
          'UnknownOperationException',
        );
        return;
      }
      const arn = String(body['SecretId']);
      const secret = secrets.get(arn);
      if (secret === undefined) {
        reply(
          400,
          {
            __type: 'ResourceNotFoundException',
            message: "Secrets Manager can't find the specified secret.",
          },
          'ResourceNotFoundException',
        );
        return;
      }
      if ('error' in secret) {
        reply(
          secret.status ?? 400,
          { __type: secret.error, message: secret.message },
          secret.error,
        );
        return;
      }
      const answer = { ARN: arn, Name: arn.split(':')[6], VersionId: 'v1', CreatedDate: 1.7e9 };
      if ('delayMs' in secret) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          reply(200, { ...answer, SecretString: secret.SecretString });
        }, secret.delayMs);
        timers.add(timer);
        return;
      }
      reply(200, { ...answer, ...secret });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    secrets,
    close() {
      for (const timer of timers) clearTimeout(timer);
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
