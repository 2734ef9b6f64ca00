/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'byova-simulator',
  coverageDirectory: '../../coverage/tools/byova-simulator',
  testTimeout: 30000,
};
