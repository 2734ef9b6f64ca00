/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'audiohook-protocol',
  coverageDirectory: '../../coverage/libs/audiohook-protocol',
  coverageThreshold: { global: { lines: 90 } },
};
