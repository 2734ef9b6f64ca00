/** @type {import('jest').Config} */
module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'bench-audiohook-codec',
  coverageDirectory: '../../../coverage/tools/bench/audiohook-codec',
};
