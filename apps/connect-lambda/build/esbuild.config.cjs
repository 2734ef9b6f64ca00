// esbuild options for `nx build connect-lambda`: one minified CommonJS bundle `index.js` (the
// Lambda handler is `index.handler`), the version from ../VERSION injected at build time, and a
// deployable `connect-lambda.zip` next to it. The ZIP also holds `handler.js`, a one-line alias of
// `index.js`, so a function still configured with the upstream TypeScript Lambda's handler
// (`handler.handler`) runs this code unchanged. The AWS SDK v3 stays external (`external` in
// project.json): the Lambda Node.js runtime ships it.
'use strict';

const { readFileSync, writeFileSync } = require('node:fs');
const { basename, dirname, join } = require('node:path');
const { createZip } = require('../../../tools/build/zip.cjs');
const { readVersion } = require('./version.cjs');

const version = readVersion();

/** The upstream Lambda's handler file: it re-exports the bundle, so `handler.handler` works too. */
const UPSTREAM_ALIAS = {
  name: 'handler.js',
  data: Buffer.from("'use strict';\nmodule.exports = require('./index.js');\n"),
};

/** Zips the bundle once esbuild has written it. */
const zipPlugin = {
  name: 'connect-lambda-zip',
  setup(build) {
    build.onEnd((result) => {
      if (result.errors.length > 0) return;
      const outfile = build.initialOptions.outfile;
      if (outfile === undefined) throw new Error('connect-lambda-zip needs a single outfile');
      const dir = dirname(outfile);
      writeFileSync(join(dir, UPSTREAM_ALIAS.name), UPSTREAM_ALIAS.data);
      const zip = createZip([
        { name: basename(outfile), data: readFileSync(outfile) },
        UPSTREAM_ALIAS,
      ]);
      writeFileSync(join(dir, 'connect-lambda.zip'), zip);
    });
  },
};

module.exports = {
  outExtension: { '.js': '.js' },
  define: { __CONNECT_LAMBDA_VERSION__: JSON.stringify(version) },
  legalComments: 'none',
  plugins: [zipPlugin],
};
