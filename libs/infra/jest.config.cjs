/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'infra',
  coverageDirectory: '../../coverage/libs/infra',
};
