// esbuild options for `nx run connect-lambda:build-harness`, the local harness behind
// `nx serve connect-lambda`: same version injection as the Lambda bundle, no zip.
'use strict';

const { readVersion } = require('./version.cjs');

module.exports = {
  outExtension: { '.js': '.js' },
  define: { __CONNECT_LAMBDA_VERSION__: JSON.stringify(readVersion()) },
};
