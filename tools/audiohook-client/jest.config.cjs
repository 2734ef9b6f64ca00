/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'audiohook-client',
  coverageDirectory: '../../coverage/tools/audiohook-client',
  testTimeout: 30_000,
};
