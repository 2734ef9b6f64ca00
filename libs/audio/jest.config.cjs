/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'audio',
  coverageDirectory: '../../coverage/libs/audio',
  coverageThreshold: { global: { lines: 95, branches: 85, functions: 95 } },
};
