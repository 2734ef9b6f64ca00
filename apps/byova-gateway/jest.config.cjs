/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'byova-gateway',
  coverageDirectory: '../../coverage/apps/byova-gateway',
  // The browser test starts Chromium; give every test room on a loaded 2-core machine.
  testTimeout: 30000,
  // jose is published as ES modules only; let SWC turn it into CommonJS for Jest.
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
};
