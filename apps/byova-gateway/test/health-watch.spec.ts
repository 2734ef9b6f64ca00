// A Watch call of grpc.health.v1 that the client cancels before it reaches the health service
// (while the gateway checks its JWT) must not be kept: grpc-js emits `cancelled` only once.

import {
  Server,
  ServerCredentials,
  credentials,
  type ServerWritableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  loadByovaGrpcObject,
  type HealthCheckRequest__Output,
  type HealthCheckResponse,
  type HealthClient,
} from '@org/byova';
import { HealthService } from '../src/lib/health';
import { until } from './helpers/gateway';

type WatchCall = ServerWritableStream<HealthCheckRequest__Output, HealthCheckResponse>;

let server: Server;
let client: HealthClient;
let health: HealthService;
/** Watch calls wait here (as for a JWT check) until the test lets them through. */
let gate: Promise<void>;
let open: () => void;
const arrived: WatchCall[] = [];

beforeEach(async () => {
  gate = new Promise<void>((resolve) => (open = resolve));
  arrived.length = 0;
  health = new HealthService(() => 1);
  const handlers = health.handlers();
  const { grpc } = loadByovaGrpcObject();
  server = new Server();
  server.addService(grpc.health.v1.Health.service, {
    ...handlers,
    Watch: (call: WatchCall) => {
      arrived.push(call);
      void gate.then(() => handlers.Watch(call));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    ),
  );
  client = new grpc.health.v1.Health(`127.0.0.1:${port}`, credentials.createInsecure());
});

afterEach(() => {
  open();
  client.close();
  server.forceShutdown();
});

function watch(): { cancel: () => void; ended: Promise<number | undefined> } {
  const call = client.Watch({ service: '' });
  call.on('data', () => undefined);
  const ended = new Promise<number | undefined>((resolve) => {
    call.on('error', (error: ServiceError) => resolve(error.code));
    call.on('end', () => resolve(undefined));
  });
  return { cancel: () => call.cancel(), ended };
}

describe('health Watch and cancellation', () => {
  it('keeps no watcher for a Watch call cancelled before it reached the health service', async () => {
    const call = watch();
    await until(() => arrived.length === 1, 'the Watch call to arrive');
    call.cancel();
    await call.ended;
    await until(() => arrived[0]?.cancelled === true, 'the server to see the cancellation');
    open();
    await gate;
    expect(health.watchers).toBe(0);
  });

  it('keeps a live Watch call until the client cancels it', async () => {
    open();
    const call = watch();
    await until(() => health.watchers === 1, 'the watcher to be registered');
    call.cancel();
    await call.ended;
    await until(() => health.watchers === 0, 'the watcher to be removed');
  });
});
