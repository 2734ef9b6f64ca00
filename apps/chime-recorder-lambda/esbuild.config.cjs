// esbuild settings of `nx build chime-recorder-lambda`, on top of project.json: after the bundle is
// written, package it as the Lambda deployment ZIP next to it.
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { basename, dirname, join } = require('node:path');
const { createZip } = require('../../tools/build/zip.cjs');

/** @type {import('esbuild').Plugin} */
const lambdaZip = {
  name: 'lambda-zip',
  setup(build) {
    build.onEnd((result) => {
      const outfile = build.initialOptions.outfile;
      if (result.errors.length > 0 || !outfile) return;
      const dir = dirname(outfile);
      const names = [basename(outfile), `${basename(outfile)}.map`].filter((n) =>
        existsSync(join(dir, n)),
      );
      const zip = createZip(names.map((name) => ({ name, data: readFileSync(join(dir, name)) })));
      writeFileSync(join(dir, 'chime-recorder-lambda.zip'), zip);
    });
  },
};

module.exports = {
  plugins: [lambdaZip],
  // Lambda's Node.js runtimes ship an AWS SDK, but not always one with the media-pipelines
  // client; everything is bundled so the deployed code is exactly what was tested.
  legalComments: 'none',
  // Lambda loads `index.handler` from index.js (CommonJS, as there is no package.json).
  outExtension: { '.js': '.js' },
};
