/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'audiohook-server',
  coverageDirectory: '../../coverage/apps/audiohook-server',
  // End-to-end tests start real servers, s3rver and the client over loopback sockets.
  testTimeout: 30_000,
};
