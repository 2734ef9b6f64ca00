/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'event-collector',
  coverageDirectory: '../../coverage/apps/event-collector',
  // Scenario tests drive the real collector over real sockets; give them room on a busy machine.
  testTimeout: 30000,
  // main.ts runs in a child process in the SIGTERM test, so it shows as uncovered here.
  coverageThreshold: { global: { lines: 85, branches: 70, functions: 80 } },
  // The stack's synth entry point runs only as `nx run event-collector:synth`.
  collectCoverageFrom: [
    ...require('../../jest.preset.js').collectCoverageFrom,
    '!src/infra/synth.ts',
  ],
};
