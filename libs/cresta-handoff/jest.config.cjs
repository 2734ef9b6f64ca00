/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'cresta-handoff',
  coverageDirectory: '../../coverage/libs/cresta-handoff',
  coverageThreshold: { global: { lines: 90, branches: 80, functions: 90 } },
};
