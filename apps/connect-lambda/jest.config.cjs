/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'connect-lambda',
  coverageDirectory: '../../coverage/apps/connect-lambda',
  coverageThreshold: { global: { lines: 90, branches: 80, functions: 90 } },
};
