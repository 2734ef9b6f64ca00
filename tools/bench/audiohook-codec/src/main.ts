// Codec and signature benchmark of @org/audiohook-protocol.
// Run: npx nx run bench-audiohook-codec:bench   (options after --: --round-ms N --rounds N)

import { parseArgs } from 'node:util';
import { runCodecBench, TYPICAL_CLIENT_MESSAGES } from './codec-bench';

const { values } = parseArgs({
  options: {
    'round-ms': { type: 'string', default: '500' },
    rounds: { type: 'string', default: '5' },
  },
});
const roundMs = Number(values['round-ms']);
const rounds = Number(values.rounds);
if (!(roundMs > 0) || !Number.isInteger(rounds) || rounds <= 0) {
  console.error('--round-ms must be above 0 and --rounds a positive integer');
  process.exit(2);
}

const report = runCodecBench({ roundMs, rounds });
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(12);
const rows: [string, number, string, number][] = [
  ['parse+validate (msgs/s)', report.parse.perSecond, 'JSON.parse', report.jsonParse.perSecond],
  [
    'serializeMessage (msgs/s)',
    report.serialize.perSecond,
    'JSON.stringify',
    report.jsonStringify.perSecond,
  ],
  ['verifySignature (verif/s)', report.verify.perSecond, 'createHmac', report.hmac.perSecond],
];
console.log(
  `audiohook-codec: ${TYPICAL_CLIENT_MESSAGES.length} typical client messages, ${rounds} rounds of ${roundMs} ms (median)`,
);
console.log(
  `${'operation'.padEnd(28)}${'ours'.padStart(12)}  ${'baseline'.padEnd(15)}${'baseline/s'.padStart(12)}  ratio`,
);
for (const [name, ours, baseName, base] of rows) {
  console.log(
    `${name.padEnd(28)}${fmt(ours)}  ${baseName.padEnd(15)}${fmt(base)}  ${(base / ours).toFixed(1)}x slower`,
  );
}
console.log(
  JSON.stringify({
    bench: 'audiohook-codec',
    parsePerSecond: Math.round(report.parse.perSecond),
    jsonParsePerSecond: Math.round(report.jsonParse.perSecond),
    serializePerSecond: Math.round(report.serialize.perSecond),
    jsonStringifyPerSecond: Math.round(report.jsonStringify.perSecond),
    verifyPerSecond: Math.round(report.verify.perSecond),
    hmacPerSecond: Math.round(report.hmac.perSecond),
  }),
);
