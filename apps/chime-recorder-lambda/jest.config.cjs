/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'chime-recorder-lambda',
  coverageDirectory: '../../coverage/apps/chime-recorder-lambda',
  // The CDK synthesis and the real dynalite/HTTP round trips are slow on a shared 2-core machine.
  testTimeout: 60000,
  coverageThreshold: { global: { lines: 95, branches: 85, functions: 95 } },
  // The local harness and the synth script are exercised by their own commands, not by Jest.
  coveragePathIgnorePatterns: ['/src/local/', '/src/infra/synth.ts', '/src/main.ts'],
};
