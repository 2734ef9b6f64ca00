/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'adversary',
  coverageDirectory: '../../coverage/tools/adversary',
  // The short suite starts every built app as a process and attacks it (under 2 minutes).
  testTimeout: 240_000,
};
