// byova-simulator: drives a BYOVA gateway the way Webex Contact Center does.
//
//   byova-simulator list  --target 127.0.0.1:50051
//   byova-simulator call  --target 127.0.0.1:50051 --step start --step say:tone --step dtmf:5 --out bot.wav
//   byova-simulator call  --target 127.0.0.1:50051 --target 127.0.0.1:50052 ...   (streams alternate)
//   byova-simulator load  --target 127.0.0.1:50051 --calls 300 --turns 2 [--json]

import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ulawWav } from './lib/audio';
import { parseStep, runCall } from './lib/call';
import { RotatingClient, WxccClient } from './lib/client';
import { runLoad, type LoadReport } from './lib/load';

const USAGE = `usage: byova-simulator <list|health|call|load> [options]

common:
  --target <host:port>     gateway address (default 127.0.0.1:50051); repeat it to spread the
                           call's streams over several gateways in turn (first stream on the first)
  --token <jws>            send "authorization: Bearer <jws>" (default: $BYOVA_TOKEN)
  --org <id>               customer_org_id (default org-simulator)
  --agent <id>             virtual_agent_id (default: the agent ListVirtualAgents marks default)

call:
  --step <step>            repeatable, in order: start | say:<file.wav> | say:tone[:ms] | dtmf:<keys>
                           | no-input | event:<name> | hangup | wait:<ms>
                           (default: start, say:tone, dtmf:6)
  --conversation <id>      conversation_id (default: a new UUID)
  --fast                   send audio unpaced instead of in real time
  --out <file.wav>         save the bot's audio (u-law 8 kHz WAV)

load:
  --calls <n>              concurrent calls (default 10)
  --turns <n>              voice turns per call (default 2)
  --speech-ms <ms>         length of each caller utterance (default 1000)
  --ramp-ms <ms>           spread call starts over this long (default 1000)
  --fast                   unpaced audio
  --json                   print the report as JSON
`;

const OPTIONS = {
  target: { type: 'string', multiple: true },
  token: { type: 'string' },
  org: { type: 'string', default: 'org-simulator' },
  agent: { type: 'string' },
  step: { type: 'string', multiple: true },
  conversation: { type: 'string' },
  fast: { type: 'boolean', default: false },
  out: { type: 'string' },
  calls: { type: 'string', default: '10' },
  turns: { type: 'string', default: '2' },
  'speech-ms': { type: 'string', default: '1000' },
  'ramp-ms': { type: 'string', default: '1000' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

const print = (line: string): void => void process.stdout.write(`${line}\n`);

function int(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be an integer >= ${min}, got ${text}`);
  return n;
}

async function list(client: WxccClient, org: string): Promise<number> {
  const listed = await client.listVirtualAgents(org);
  for (const agent of listed.virtual_agents) {
    print(
      `${agent.is_default ? '*' : ' '} ${agent.virtual_agent_id}  (${agent.virtual_agent_name})`,
    );
  }
  return listed.virtual_agents.length > 0 ? 0 : 1;
}

async function defaultAgent(client: WxccClient, values: Values): Promise<string> {
  if (values.agent !== undefined) return values.agent;
  const listed = await client.listVirtualAgents(values.org);
  const agent =
    listed.virtual_agents.find((a) => a.is_default)?.virtual_agent_id ??
    listed.virtual_agents[0]?.virtual_agent_id;
  if (agent === undefined) throw new Error('the gateway lists no virtual agent');
  return agent;
}

async function call(
  clients: readonly WxccClient[],
  values: Values,
  agent: string,
): Promise<number> {
  const steps = (values.step ?? ['start', 'say:tone', 'dtmf:6']).map(parseStep);
  const conversationId = values.conversation ?? randomUUID();
  const targets = values.target ?? [];
  print(`call ${conversationId} to "${agent}" at ${targets.join(', ')}`);
  if (clients.length > 1) print(`(streams alternate between ${clients.length} gateways)`);
  const result = await runCall(new RotatingClient(clients), steps, {
    conversationId,
    customerOrgId: values.org,
    virtualAgentId: agent,
    realtime: !values.fast,
    print,
  });
  print(
    `call over: ${result.outcome ?? 'still open'}, ${(result.botAudio.length / 8000).toFixed(2)} s of bot audio, ${result.failures} failed streams`,
  );
  if (values.out !== undefined) {
    writeFileSync(values.out, ulawWav(result.botAudio));
    print(`bot audio saved to ${values.out}`);
  }
  return result.failures === 0 ? 0 : 1;
}

function formatLoad(report: LoadReport): string {
  const l = report.endOfInputMs;
  const r = report.replyMs;
  return [
    `calls ${report.completedCalls}/${report.calls} completed in ${report.durationSeconds} s, ${report.turns} voice turns`,
    `RPCs ${report.rpcs}, failed ${report.failedRpcs}`,
    `END_OF_INPUT after last speech frame (ms): p50 ${l.p50}  p90 ${l.p90}  p99 ${l.p99}  max ${l.max}`,
    `first reply after last speech frame (ms): p50 ${r.p50}  p90 ${r.p90}  p99 ${r.p99}  max ${r.max}`,
    ...report.failures.map((f) => `  failure: ${f}`),
    '',
  ].join('\n');
}

async function load(
  clients: readonly WxccClient[],
  values: Values,
  agent: string,
): Promise<number> {
  const report = await runLoad(new RotatingClient(clients), {
    calls: int('calls', values.calls, 1),
    turnsPerCall: int('turns', values.turns, 0),
    speechMs: int('speech-ms', values['speech-ms'], 100),
    rampMs: int('ramp-ms', values['ramp-ms'], 0),
    realtime: !values.fast,
    virtualAgentId: agent,
    customerOrgId: values.org,
    ...(values.json ? {} : { progress: (line: string) => void process.stderr.write(`${line}\n`) }),
  });
  process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : formatLoad(report));
  return report.failedRpcs === 0 ? 0 : 1;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: OPTIONS });
  const command = positionals[0];
  if (values.help || command === undefined) {
    process.stdout.write(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  if (!['list', 'health', 'call', 'load'].includes(command)) {
    process.stderr.write(`unknown command "${command}"\n${USAGE}`);
    return 2;
  }
  values.target ??= ['127.0.0.1:50051'];
  const token = values.token ?? process.env['BYOVA_TOKEN'];
  const clients = values.target.map((target) => new WxccClient({ target, token }));
  const first = clients[0] as WxccClient;
  try {
    if (command === 'health') {
      print(await first.healthCheck(''));
      return 0;
    }
    if (command === 'list') return await list(first, values.org);
    const agent = await defaultAgent(first, values);
    return command === 'call'
      ? await call(clients, values, agent)
      : await load(clients, values, agent);
  } finally {
    for (const client of clients) client.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`byova-simulator: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
