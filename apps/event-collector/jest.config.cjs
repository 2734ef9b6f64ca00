/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'event-collector',
  coverageDirectory: '../../coverage/apps/event-collector',
  // Scenario tests drive the real collector over real sockets; give them room on a busy machine.
  testTimeout: 30000,
};
