// Issue 14, end to end: two real gateways sharing one DynamoDB table (dynalite) and one recording
// folder. The simulator spreads a scripted call's streams over both; the call goes exactly as the
// same script against one of them alone.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { parseWav } from '@org/audio';
import dynalite from 'dynalite';
import { parseStep, runCall } from '../src/lib/call';
import { RotatingClient, WxccClient } from '../src/lib/client';
import { startGatewayProcess, writeGatewayConfig, type GatewayProcess } from './gateway-process';

const TABLE = 'conversations';
const STEPS = ['start', 'say:tone:600', 'event:survey', 'dtmf:7#', 'say:tone:400', 'dtmf:5'];

let server: ReturnType<typeof dynalite>;
let endpoint: string;
let dir: string;
let gateways: GatewayProcess[] = [];
let clients: WxccClient[] = [];

beforeAll(async () => {
  server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const admin = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials });
  await admin.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  admin.destroy();
  dir = mkdtempSync(join(tmpdir(), 'byova-sim-shared-'));
  const config = join(dir, 'gateway.yaml');
  writeGatewayConfig(config, join(dir, 'recordings'));
  const env = {
    CONVERSATION_TABLE: TABLE,
    DYNAMODB_ENDPOINT: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  };
  gateways = await Promise.all([
    startGatewayProcess(config, env),
    startGatewayProcess(config, env),
  ]);
  clients = gateways.map((g) => new WxccClient({ target: g.target }));
}, 120_000);

afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.all(gateways.map((g) => g.stop()));
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

async function call(client: RotatingClient, conversationId: string) {
  const lines: string[] = [];
  const result = await runCall(client, STEPS.map(parseStep), {
    conversationId,
    customerOrgId: 'org',
    virtualAgentId: 'Local Audio: Local Playback',
    realtime: false,
    print: (line) => lines.push(line),
  });
  // Timings and the conversation id differ from call to call; everything else must not.
  const transcript = lines
    .filter((line) => !line.startsWith('  (START_OF_INPUT') && !line.startsWith('  (no START'))
    .map((line) => line.replaceAll(conversationId, '<id>'));
  return { result, transcript };
}

function recording(conversationId: string, kind: 'bot' | 'caller'): Buffer {
  const name = readdirSync(join(dir, 'recordings')).find(
    (f) => f.startsWith(`${conversationId}_`) && f.endsWith(`_${kind}.wav`),
  );
  return readFileSync(join(dir, 'recordings', name ?? 'missing'));
}

describe('a call whose streams alternate between two gateways sharing a table', () => {
  it('gets the same replies, events, bot audio and recordings as on one gateway', async () => {
    const one = new RotatingClient([clients[0] as WxccClient]);
    const both = new RotatingClient(clients);
    const alone = await call(one, 'alone-1');
    const shared = await call(both, 'shared-1');
    expect(both.counts).toEqual([4, 4]); // 8 streams: start, say, event, 2 dtmf, say, 2 dtmf
    expect(shared.transcript).toEqual(alone.transcript);
    expect(shared.transcript.join('\n')).toContain('event TRANSFER_TO_AGENT transfer_requested');
    expect(shared.result).toMatchObject({ outcome: 'TRANSFER_TO_AGENT', failures: 0 });
    expect(Buffer.from(shared.result.botAudio)).toEqual(Buffer.from(alone.result.botAudio));
    expect(recording('shared-1', 'bot')).toEqual(recording('alone-1', 'bot'));
    // The caller streams stop at END_OF_INPUT, a few frames apart from run to run.
    const caller = (id: string): number => parseWav(recording(id, 'caller')).durationSeconds;
    expect(caller('shared-1')).toBeCloseTo(caller('alone-1'), 0);
    // Both conversations ended with the transfer: nothing is left in the table.
    const admin = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const items = await admin.send(new ScanCommand({ TableName: TABLE }));
    admin.destroy();
    expect(items.Items).toEqual([]);
  });
});
