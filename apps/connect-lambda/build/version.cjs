// The single source of the Lambda's version: apps/connect-lambda/VERSION. The build injects it as
// `__CONNECT_LAMBDA_VERSION__`, which ends up in `ccaasMetadata.version`.
'use strict';

const { readFileSync } = require('node:fs');
const { join } = require('node:path');

function readVersion() {
  const version = readFileSync(join(__dirname, '..', 'VERSION'), 'utf8').trim();
  if (!/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/.test(version)) {
    throw new Error(`apps/connect-lambda/VERSION must hold a semantic version, got "${version}"`);
  }
  return version;
}

module.exports = { readVersion };
