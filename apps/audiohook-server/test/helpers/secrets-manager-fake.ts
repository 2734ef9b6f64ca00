// A real HTTP server speaking the one Secrets Manager call the app makes (GetSecretValue, AWS
// JSON 1.1), for the SDK's endpoint override.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SecretsManagerFake {
  readonly endpoint: string;
  /** Secret id → SecretString. Change it between calls to simulate a rotation. */
  readonly secrets: Map<string, string>;
  /** Number of GetSecretValue calls seen. */
  calls: number;
  /** When set, every call fails with this HTTP status. */
  failWith: number | undefined;
  close(): Promise<void>;
}

export async function startSecretsManagerFake(): Promise<SecretsManagerFake> {
  const secrets = new Map<string, string>();
  const fake: SecretsManagerFake = {
    endpoint: '',
    secrets,
    calls: 0,
    failWith: undefined,
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      fake.calls++;
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      if (fake.failWith !== undefined) {
        reply(fake.failWith, { __type: 'InternalServiceError', message: 'fake outage' });
        return;
      }
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
        reply(400, { __type: 'UnknownOperationException', message: 'unsupported' });
        return;
      }
      const { SecretId } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        SecretId: string;
      };
      const value = secrets.get(SecretId);
      if (value === undefined) {
        reply(400, {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        });
        return;
      }
      reply(200, {
        ARN: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${SecretId}`,
        Name: SecretId,
        SecretString: value,
        VersionId: 'v1',
        CreatedDate: 1_700_000_000,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
