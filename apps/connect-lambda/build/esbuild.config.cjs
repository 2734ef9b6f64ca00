// esbuild options for `nx build connect-lambda`: one minified CommonJS bundle `index.js` (the
// Lambda handler is `index.handler`), the version from ../VERSION injected at build time, and a
// deployable `connect-lambda.zip` next to it. The AWS SDK v3 stays external (`external` in
// project.json): the Lambda Node.js runtime ships it.
'use strict';

const { readFileSync, writeFileSync } = require('node:fs');
const { basename, dirname, join } = require('node:path');
const { createZip } = require('../../../tools/build/zip.cjs');
const { readVersion } = require('./version.cjs');

const version = readVersion();

/** Zips the bundle once esbuild has written it. */
const zipPlugin = {
  name: 'connect-lambda-zip',
  setup(build) {
    build.onEnd((result) => {
      if (result.errors.length > 0) return;
      const outfile = build.initialOptions.outfile;
      if (outfile === undefined) throw new Error('connect-lambda-zip needs a single outfile');
      const zip = createZip([{ name: basename(outfile), data: readFileSync(outfile) }]);
      writeFileSync(join(dirname(outfile), 'connect-lambda.zip'), zip);
    });
  },
};

module.exports = {
  outExtension: { '.js': '.js' },
  define: { __CONNECT_LAMBDA_VERSION__: JSON.stringify(version) },
  legalComments: 'none',
  plugins: [zipPlugin],
};
