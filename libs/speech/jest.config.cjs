/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'speech',
  coverageDirectory: '../../coverage/libs/speech',
  coverageThreshold: { global: { lines: 90 } },
};
