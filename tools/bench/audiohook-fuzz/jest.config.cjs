/** @type {import('jest').Config} */
module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'bench-audiohook-fuzz',
  coverageDirectory: '../../../coverage/tools/bench/audiohook-fuzz',
};
