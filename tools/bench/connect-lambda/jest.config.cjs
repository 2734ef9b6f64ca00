/** @type {import('jest').Config} */
module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'bench-connect-lambda',
  coverageDirectory: '../../../coverage/tools/bench/connect-lambda',
};
