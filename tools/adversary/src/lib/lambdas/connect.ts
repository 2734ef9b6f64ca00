// Hostile events and a hostile Cresta API against the built Connect Lambda (defect 7 of issue
// 15: a 200 answer whose body is not a JSON object went straight to Connect).

import {
  startFakeCrestaApi,
  type FakeCrestaApi,
  type FakeResponse,
} from '@org/cresta-handoff/testing';
import { built } from '../children';
import type { Attack, Group } from '../suite';
import { clearError, LambdaHost } from './host';

const BUNDLE = 'apps/connect-lambda/index.js';
const CLIENT_SECRET = 'demo-secret';
/** The whole invocation's deadline for the suite (the default 7.5 s would not fit the short mode). */
const TOTAL_TIMEOUT_MS = 1500;

/** The Lambda host and the fake Cresta API it talks to. */
export type ConnectLambda = LambdaHost & { cresta: FakeCrestaApi };

function connectEvent(action: string, parameters: Record<string, unknown> = {}): unknown {
  return {
    Name: 'ContactFlowEvent',
    Details: {
      ContactData: {
        Attributes: {},
        Channel: 'VOICE',
        ContactId: '5ca32fbd-8f92-46af-92a5-6b0f970f0efe',
        InitiationMethod: 'INBOUND',
        InstanceARN:
          'arn:aws:connect:us-west-2:123456789012:instance/9308c2a1-9bc6-4cea-8290-6c0b4a6d38fa',
      },
      Parameters: { action, ...parameters },
    },
  };
}

/** Events Amazon Connect would never send (the hostile part is the shape, never the hosts). */
const HOSTILE_EVENTS: readonly [string, unknown, string?][] = [
  ['null', null],
  ['a number', 42],
  ['a string', 'get_pstn_transfer_data'],
  ['an array', [connectEvent('get_pstn_transfer_data')]],
  ['empty object', {}],
  ['Details null', { Details: null }],
  ['Parameters a string', { Details: { Parameters: 'action=get_pstn_transfer_data' } }],
  ['action a number', connectEvent('x', { action: 5 })],
  ['unknown action', connectEvent('drop_tables')],
  ['10 KB action', connectEvent('a'.repeat(10_000))],
  [
    'path traversal',
    connectEvent('get_pstn_transfer_data', {
      virtualAgentName: 'customers/../../admin/profiles/x/virtualAgents/y',
    }),
  ],
  [
    'encoded slash',
    connectEvent('get_pstn_transfer_data', {
      virtualAgentName: 'customers/a%2fb/profiles/p/virtualAgents/v',
    }),
  ],
  [
    '5,000 parameters',
    connectEvent(
      'get_pstn_transfer_data',
      Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`p${i}`, 'v'.repeat(50)])),
    ),
  ],
  // Sent as JSON text and parsed in the host: the IPC channel cannot serialise 5,000 levels.
  [
    'deep parameter',
    null,
    `{"Details":{"ContactData":{"ContactId":"c"},"Parameters":{"action":"get_pstn_transfer_data","deep":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}}}`,
  ],
  [
    'handoff without ContactId',
    { Details: { ContactData: {}, Parameters: { action: 'get_handoff_data' } } },
  ],
  [
    '__proto__ parameters',
    null,
    '{"Details":{"ContactData":{"ContactId":"c"},"Parameters":{"action":"get_pstn_transfer_data","__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}}}',
  ],
];

function isFlatObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const connectHostileEvents: Attack<ConnectLambda> = {
  name: 'hostile Connect events',
  expected:
    'each either answered with an object or refused with a short, clear error (no stack, no secret); no prototype pollution; the host lives',
  async run(host, mode) {
    const problems: string[] = [];
    let refused = 0;
    let answered = 0;
    for (let r = 0; r < mode.lambdas.repeat; r += 1) {
      for (const [name, event, json] of HOSTILE_EVENTS) {
        const result = await host.invoke(event, json);
        if (result.polluted) problems.push(`${name}: Object.prototype polluted`);
        if (result.ok) {
          answered += 1;
          if (!isFlatObject(result.result))
            problems.push(`${name}: answered ${JSON.stringify(result.result)}`);
        } else {
          refused += 1;
          const unclear = clearError(result, [CLIENT_SECRET]);
          if (unclear !== undefined) problems.push(`${name}: ${unclear}`);
        }
      }
    }
    const unique = [...new Set(problems)];
    return {
      ok: unique.length === 0,
      observed: `${refused} refused, ${answered} answered${unique.length ? `; ${unique.slice(0, 3).join('; ')}` : ''}`,
    };
  },
};

/** Cresta answers a Connect Lambda must not pass on. */
const HOSTILE_ANSWERS: readonly [string, FakeResponse][] = [
  [
    '200 with a JSON array',
    { status: 200, body: [{ phoneNumber: '+15550100', dtmfSequence: '1' }] },
  ],
  ['200 with null', { status: 200, body: 'null' }],
  ['200 with a JSON string', { status: 200, body: '"+15550100"' }],
  ['200 with a number', { status: 200, body: '15550100' }],
  ['200 with HTML', { status: 200, body: '<html><body>gateway</body></html>' }],
  ['200 with 2 MB', { status: 200, body: { phoneNumber: '+1', pad: 'x'.repeat(2 << 20) } }],
  ['200 after 10 s', { status: 200, body: { phoneNumber: '+1' }, delayMs: 10_000 }],
  ['dropped connection', { status: 200, destroy: true }],
];

const ENDPOINT = /generatePSTNTransferData|fetchAIAgentHandoff|\/v1\/|PSTN transfer|handoff/i;

export const connectHostileCresta: Attack<ConnectLambda> = {
  name: 'hostile Cresta answers',
  expected:
    'a body that is not a JSON object is refused with an error naming the endpoint; slow, huge or dropped answers fail within the deadline',
  async run(host) {
    const problems: string[] = [];
    const seen: string[] = [];
    for (const [name, answer] of HOSTILE_ANSWERS) {
      for (const route of ['pstn', 'handoff'] as const) {
        host.cresta.reset();
        // Every attempt (first try and retries) gets the hostile answer.
        host.cresta.enqueue(route, answer, answer, answer, answer, answer);
        const started = performance.now();
        const action = route === 'pstn' ? 'get_pstn_transfer_data' : 'get_handoff_data';
        const result = await host.invoke(connectEvent(action));
        const ms = performance.now() - started;
        const what = `${route} ${name}`;
        if (result.ok) {
          problems.push(`${what}: passed ${JSON.stringify(result.result).slice(0, 60)} to Connect`);
        } else {
          const message = result.error?.message ?? '';
          if (/JSON|object|null|array/i.test(name) && !ENDPOINT.test(message)) {
            problems.push(`${what}: "${message.slice(0, 80)}" does not name the endpoint`);
          }
          // Generous (a loaded machine is slow), but short of the 10 s a slow answer takes.
          if (ms > TOTAL_TIMEOUT_MS + 5000)
            problems.push(`${what}: failed only after ${ms.toFixed(0)} ms`);
          seen.push(`${what}: ${message.slice(0, 60)}`);
        }
      }
    }
    host.cresta.reset();
    return {
      ok: problems.length === 0,
      observed:
        problems.length === 0
          ? `${seen.length} refused, e.g. ${seen[0] ?? ''}`
          : problems.slice(0, 3).join('; ') +
            (problems.length > 3 ? ` (+${problems.length - 3} more)` : ''),
    };
  },
};

export const connectGroup: Group<ConnectLambda> = {
  name: 'connect-lambda',
  async start() {
    const cresta = await startFakeCrestaApi();
    try {
      const env = {
        region: 'us-west-2-staging',
        apiDomain: cresta.url,
        authDomain: cresta.url,
        oauthClientId: 'demo-client',
        oauthClientSecret: CLIENT_SECRET,
        virtualAgentName: 'customers/demo/profiles/main/virtualAgents/demo-agent',
        HTTP_TOTAL_TIMEOUT: `${TOTAL_TIMEOUT_MS}ms`,
        // Nothing may leave the machine: any Secrets Manager call goes to a closed local port.
        SECRETS_MANAGER_ENDPOINT: 'http://127.0.0.1:9',
        AWS_REGION: 'us-west-2',
        AWS_ACCESS_KEY_ID: 'adversary',
        AWS_SECRET_ACCESS_KEY: 'adversary',
      };
      const host = await LambdaHost.start(
        'connect-lambda',
        built(BUNDLE),
        env,
        () => connectEvent('get_pstn_transfer_data'),
        (result) => result.ok && isFlatObject(result.result),
      );
      const lambda: ConnectLambda = Object.assign(host, { cresta });
      for (let i = 0; i < 3; i += 1) await lambda.probe();
      return lambda;
    } catch (error) {
      await cresta.close();
      throw error;
    }
  },
  async stop(host) {
    await host.stop();
    await host.cresta.close();
  },
  attacks: [connectHostileEvents, connectHostileCresta],
};
