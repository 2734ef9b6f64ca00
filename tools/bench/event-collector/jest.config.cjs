/** @type {import('jest').Config} */
module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'bench-event-collector',
  coverageDirectory: '../../../coverage/tools/bench/event-collector',
  // The smoke test starts the fake and the collector as processes.
  testTimeout: 60000,
};
