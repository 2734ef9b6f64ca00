/** @type {import('jest').Config} */
module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'bench-chime-recorder',
  coverageDirectory: '../../../coverage/tools/bench/chime-recorder',
  // The smoke test replays real events through the built bundle against dynalite.
  testTimeout: 120000,
};
