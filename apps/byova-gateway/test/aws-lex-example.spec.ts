// config/aws_lex_example.yaml (the Python sample ships config/aws_lex_example.yaml): a complete
// configuration with a Lex V2 connector that the real config loader accepts, that names every
// option of the connector, and whose commented alternative entry is valid too. Nothing reaches AWS:
// the example's bot is fixed, so starting the connector lists no bots.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '@org/service-kit';
import { captureLogs } from '@org/service-kit/testing';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { loadConfig } from '../src/config';
import { lexConfig } from '../src/lib/connectors/config-schemas';
import { LexConnector, validateLexConfig } from '../src/lib/connectors/lex';
import { builtInKind, loadConnector, validateBuiltInConfig } from '../src/lib/connectors/loader';
import { APP_DIR } from './helpers/gateway';

const EXAMPLE = join(APP_DIR, 'config/aws_lex_example.yaml');

/** Every option of an object schema, nested ones as `parent.child`. */
function optionPaths(schema: z.ZodType, prefix = ''): string[] {
  let inner: z.ZodType = schema;
  while (!(inner instanceof z.ZodObject)) {
    if (
      inner instanceof z.ZodOptional ||
      inner instanceof z.ZodDefault ||
      inner instanceof z.ZodPrefault
    ) {
      inner = inner.unwrap() as z.ZodType;
    } else {
      return [];
    }
  }
  return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([key, value]) => [
    `${prefix}${key}`,
    ...optionPaths(value, `${prefix}${key}.`),
  ]);
}

describe('config/aws_lex_example.yaml', () => {
  it('loads through the config loader and builds a Lex connector that starts without calling AWS', async () => {
    const config = loadConfig(EXAMPLE, {});
    expect(config.gateway.host).toBe('127.0.0.1');
    expect(Object.keys(config.connectors)).toEqual(['aws_lex_connector']);
    const entry = config.connectors['aws_lex_connector'];
    if (entry === undefined) throw new Error('no aws_lex_connector entry');
    expect(builtInKind(entry)).toBe('aws_lex');
    expect(validateLexConfig('aws_lex_connector', entry.config)).toMatchObject({
      region_name: 'us-east-1',
      bot_id: 'EXAMPLEBOTID',
      bot_alias_id: 'EXAMPLEALIASID',
      audio_logging: { enabled: false },
    });
    const logs = captureLogs();
    const logger = createLogger({ service: 'byova-gateway', destination: logs.destination });
    const connector = loadConnector('aws_lex_connector', entry, config.baseDir, logger);
    expect(connector).toBeInstanceOf(LexConnector);
    expect(connector.recording).toBeUndefined();
    // A fixed bot: init() needs no ListBots, so no AWS endpoint or credentials are used.
    await connector.init();
    expect(connector.agents().map((a) => a.id)).toEqual(['aws_lex_connector: ExampleBookingBot']);
    // No keys in the file: no warning about them.
    expect(logs.lines.filter((l) => l.level === 'warn')).toEqual([]);
    await connector.close();
  });

  it('names every option of the Lex connector (set, or commented out)', () => {
    const text = readFileSync(EXAMPLE, 'utf8');
    const named = (key: string): boolean => new RegExp(`^\\s*(#\\s*)?${key}:`, 'm').test(text);
    const options = optionPaths(lexConfig);
    expect(options.length).toBeGreaterThan(40);
    expect(options.filter((path) => !named(path.split('.').at(-1) as string))).toEqual([]);
  });

  it('offers a commented discovery entry that is a valid connector once uncommented', () => {
    const lines = readFileSync(EXAMPLE, 'utf8').split('\n');
    const start = lines.findIndex((line) => line.startsWith('  # aws_lex_discovery:'));
    expect(start).toBeGreaterThan(0);
    const block: string[] = [];
    for (const line of lines.slice(start)) {
      if (!line.startsWith('  # ')) break;
      block.push(`  ${line.slice(4)}`);
    }
    const entries = parseYaml(block.join('\n')) as Record<
      string,
      { type: string; config: Record<string, unknown> }
    >;
    const discovery = entries['aws_lex_discovery'];
    if (discovery === undefined) throw new Error('no aws_lex_discovery entry');
    expect(validateBuiltInConfig('aws_lex_discovery', discovery)).toEqual([]);
    const parsed = validateLexConfig('aws_lex_discovery', discovery.config);
    expect(parsed.bot_id).toBeUndefined();
    expect(parsed.bot_names).toEqual(['ExampleBookingBot', 'ExampleSupportBot']);
  });
});
