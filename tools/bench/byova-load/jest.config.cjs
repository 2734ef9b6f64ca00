/** @type {import('jest').Config} */
module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'bench-byova-load',
  coverageDirectory: '../../../coverage/tools/bench/byova-load',
  // The smoke test starts the gateway and the simulator as processes.
  testTimeout: 120000,
};
