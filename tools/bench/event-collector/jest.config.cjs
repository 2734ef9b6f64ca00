/** @type {import('jest').Config} */
module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'bench-event-collector',
  coverageDirectory: '../../../coverage/tools/bench/event-collector',
  // The smoke tests start the fake and the collectors as processes (slow on a loaded machine).
  testTimeout: 180000,
};
