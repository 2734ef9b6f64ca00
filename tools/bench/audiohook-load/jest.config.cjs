/** @type {import('jest').Config} */
module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'bench-audiohook-load',
  coverageDirectory: '../../../coverage/tools/bench/audiohook-load',
  testTimeout: 120_000,
};
