// The README's custom connector, as plug-in tests load it from a temporary folder.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_DIR } from './gateway';

/** The README's `echo-connector.js`, exactly as documented. */
export function readmeConnector(): string {
  const readme = readFileSync(join(APP_DIR, 'README.md'), 'utf8');
  const block = /```js\n(\/\/ echo-connector\.js[\s\S]*?)```/.exec(readme)?.[1];
  if (block === undefined) throw new Error('the README has no echo-connector.js example');
  return block;
}
