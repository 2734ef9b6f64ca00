// byova-simulator: drives a BYOVA gateway the way Webex Contact Center does.
//
//   byova-simulator list  --target 127.0.0.1:50051
//   byova-simulator call  --target 127.0.0.1:50051 --step start --step say:tone --step dtmf:5 --out bot.wav
//   byova-simulator load  --target 127.0.0.1:50051 --calls 300 --turns 2 [--json]

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { ulawWav } from './lib/audio';
import { parseStep, runCall } from './lib/call';
import { WxccClient } from './lib/client';
import { runLoad } from './lib/load';

const USAGE = `usage: byova-simulator <list|health|call|load> [options]

common:
  --target <host:port>     gateway address (default 127.0.0.1:50051)
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

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      target: { type: 'string', default: '127.0.0.1:50051' },
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
    },
  });
  const command = positionals[0];
  if (values.help || command === undefined) {
    process.stdout.write(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  const int = (name: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`--${name} must be an integer >= ${min}, got ${text}`);
    return n;
  };
  const client = new WxccClient({
    target: values.target,
    token: values.token ?? process.env['BYOVA_TOKEN'],
  });
  try {
    if (command === 'health') {
      process.stdout.write(`${await client.healthCheck('')}\n`);
      return 0;
    }
    const listed = await client.listVirtualAgents(values.org);
    if (command === 'list') {
      for (const agent of listed.virtual_agents) {
        process.stdout.write(
          `${agent.is_default ? '*' : ' '} ${agent.virtual_agent_id}  (${agent.virtual_agent_name})\n`,
        );
      }
      return listed.virtual_agents.length > 0 ? 0 : 1;
    }
    const agent =
      values.agent ??
      listed.virtual_agents.find((a) => a.is_default)?.virtual_agent_id ??
      listed.virtual_agents[0]?.virtual_agent_id;
    if (agent === undefined) throw new Error('the gateway lists no virtual agent');
    if (command === 'call') {
      const steps = (values.step ?? ['start', 'say:tone', 'dtmf:6']).map(parseStep);
      const conversationId = values.conversation ?? randomUUID();
      const print = (line: string): void => void process.stdout.write(`${line}\n`);
      print(`call ${conversationId} to "${agent}" at ${values.target}`);
      const result = await runCall(client, steps, {
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
    if (command === 'load') {
      const report = await runLoad(client, {
        calls: int('calls', values.calls, 1),
        turnsPerCall: int('turns', values.turns, 0),
        speechMs: int('speech-ms', values['speech-ms'], 100),
        rampMs: int('ramp-ms', values['ramp-ms'], 0),
        realtime: !values.fast,
        virtualAgentId: agent,
        customerOrgId: values.org,
        ...(values.json
          ? {}
          : { progress: (line: string) => void process.stderr.write(`${line}\n`) }),
      });
      if (values.json) {
        process.stdout.write(`${JSON.stringify(report)}\n`);
      } else {
        const l = report.endOfInputMs;
        const r = report.replyMs;
        process.stdout.write(
          [
            `calls ${report.completedCalls}/${report.calls} completed in ${report.durationSeconds} s, ${report.turns} voice turns`,
            `RPCs ${report.rpcs}, failed ${report.failedRpcs}`,
            `END_OF_INPUT after last speech frame (ms): p50 ${l.p50}  p90 ${l.p90}  p99 ${l.p99}  max ${l.max}`,
            `first reply after last speech frame (ms): p50 ${r.p50}  p90 ${r.p90}  p99 ${r.p99}  max ${r.max}`,
            ...report.failures.map((f) => `  failure: ${f}`),
            '',
          ].join('\n'),
        );
      }
      return report.failedRpcs === 0 ? 0 : 1;
    }
    process.stderr.write(`unknown command "${command}"\n${USAGE}`);
    return 2;
  } finally {
    client.close();
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
