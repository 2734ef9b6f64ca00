/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'service-kit',
  coverageDirectory: '../../coverage/libs/service-kit',
  // The OTLP exporter loads node:http with a dynamic import(), which Jest's CommonJS runtime
  // cannot run; compiling that one package turns it into require() (see README "Testing").
  transformIgnorePatterns: ['/node_modules/(?!@opentelemetry/otlp-exporter-base/)'],
};
