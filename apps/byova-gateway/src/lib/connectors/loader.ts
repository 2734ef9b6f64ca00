// Connectors as plug-ins: each YAML entry names a module (a package name or a path, relative to
// the configuration file) and the class it exports, which implements the connector contract of
// @org/byova. The built-in local audio and Lex connectors are loaded the same way, from modules
// named as the Python gateway names them; `type` alone selects a built-in.

import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ByovaLogger, Connector, ConnectorClass } from '@org/byova';
import { GatewayError, GatewayErrorCode } from '../errors';
import { LexConnector, validateLexConfig } from './lex';
import {
  LocalAudioConnector,
  validateLocalAudioConfig,
  type GatewayConnectorInit,
} from './local-audio';

/** A built-in module: its exports, and the check of its connectors' `config` mapping. */
interface BuiltIn {
  readonly exports: Readonly<Record<string, ConnectorClass>>;
  readonly validate: (key: string, config: unknown) => unknown;
}

const LOCAL: BuiltIn = {
  exports: { LocalAudioConnector },
  validate: validateLocalAudioConfig,
};
const LEX: BuiltIn = {
  exports: { AWSLexConnector: LexConnector, LexConnector },
  validate: validateLexConfig,
};

/** Module names of the built-in connectors (the Python gateway's, and short ones). */
export const BUILT_IN_MODULES: Readonly<Record<string, BuiltIn>> = {
  'connectors.local_audio_connector': LOCAL,
  'connectors.aws_lex_connector': LEX,
  'builtin:local_audio': LOCAL,
  'builtin:aws_lex': LEX,
};

/** `type` → the built-in module and class it stands for when `module`/`class` are not given. */
const BUILT_IN_TYPES: Readonly<Record<string, { module: string; class: string }>> = {
  local_audio_connector: {
    module: 'connectors.local_audio_connector',
    class: 'LocalAudioConnector',
  },
  local_audio: { module: 'connectors.local_audio_connector', class: 'LocalAudioConnector' },
  aws_lex_connector: { module: 'connectors.aws_lex_connector', class: 'AWSLexConnector' },
  aws_lex: { module: 'connectors.aws_lex_connector', class: 'AWSLexConnector' },
};

/** The parts of a YAML connector entry the loader reads. */
export interface ConnectorSource {
  readonly type?: string | undefined;
  readonly class?: string | undefined;
  readonly module?: string | undefined;
  readonly config: Readonly<Record<string, unknown>>;
}

/** The module and class an entry names (explicit, or from its built-in `type`). */
export function resolveSource(
  entry: ConnectorSource,
): { module: string; class: string } | undefined {
  const builtIn = entry.type !== undefined ? BUILT_IN_TYPES[entry.type] : undefined;
  const module = entry.module ?? builtIn?.module;
  const className = entry.class ?? builtIn?.class;
  return module !== undefined && className !== undefined ? { module, class: className } : undefined;
}

/** Which built-in connector an entry names, if any. */
export function builtInKind(entry: ConnectorSource): 'local_audio' | 'aws_lex' | undefined {
  const source = resolveSource(entry);
  const builtIn = source !== undefined ? BUILT_IN_MODULES[source.module] : undefined;
  return builtIn === LOCAL ? 'local_audio' : builtIn === LEX ? 'aws_lex' : undefined;
}

/** Why an entry names no connector (for the configuration check), or undefined. */
export function connectorSourceProblem(
  entry: ConnectorSource,
): { path: string[]; message: string } | undefined {
  if (resolveSource(entry) !== undefined) return undefined;
  if (entry.type !== undefined && entry.module === undefined && entry.class === undefined) {
    return {
      path: ['type'],
      message: `unknown connector type "${entry.type}": use ${Object.keys(BUILT_IN_TYPES).join(', ')}, or give module and class`,
    };
  }
  return {
    path: [entry.module === undefined ? 'module' : 'class'],
    message: 'module and class go together',
  };
}

/**
 * Checks the `config` mapping of built-in connectors now (plug-ins check theirs when built), so
 * the configuration check lists every problem at once.
 *
 * @returns the problems, as configuration lines.
 */
export function validateBuiltInConfig(key: string, entry: ConnectorSource): string[] {
  const source = resolveSource(entry);
  const builtIn = source !== undefined ? BUILT_IN_MODULES[source.module] : undefined;
  if (builtIn === undefined) return [];
  try {
    builtIn.validate(key, entry.config);
    return [];
  } catch (error) {
    return (error as Error).message.split('\n').slice(1);
  }
}

/** Loads a module by package name or path (relative to `baseDir`, the configuration's folder). */
function loadModule(module: string, baseDir: string): Readonly<Record<string, unknown>> {
  const builtIn = BUILT_IN_MODULES[module];
  if (builtIn !== undefined) return builtIn.exports;
  // Resolution starts at the configuration's folder: its node_modules, then upwards.
  const requireFrom = createRequire(join(baseDir, 'byova-gateway.config'));
  try {
    return requireFrom(module) as Record<string, unknown>;
  } catch (error) {
    throw new GatewayError(
      GatewayErrorCode.Connector,
      `connector module "${module}" cannot be loaded: ${(error as Error).message.split('\n')[0]}`,
      { cause: error },
    );
  }
}

const MEMBERS = ['init', 'agents', 'openSession', 'errorReply', 'close'] as const;

/** Throws unless `value` has the shape of a {@link Connector}. */
function assertConnector(value: unknown, what: string): asserts value is Connector {
  const c = value as Record<string, unknown> | null;
  const missing: string[] = [];
  if (c === null || typeof c !== 'object') missing.push('an object');
  else {
    for (const name of MEMBERS) if (typeof c[name] !== 'function') missing.push(`${name}()`);
    if (typeof c['key'] !== 'string') missing.push('key');
    if (typeof c['kind'] !== 'string') missing.push('kind');
    if (c['replyMode'] !== 'wav' && c['replyMode'] !== 'chunk')
      missing.push("replyMode 'wav' | 'chunk'");
    if (c['input'] === null || typeof c['input'] !== 'object') missing.push('input');
  }
  if (missing.length > 0) {
    throw new GatewayError(
      GatewayErrorCode.Connector,
      `${what} does not implement the connector contract of @org/byova: missing ${missing.join(', ')}`,
    );
  }
}

/**
 * Builds the connector of one YAML entry: loads its module, takes the export named by `class`,
 * constructs it with the entry's key and `config`, the configuration's folder (`baseDir`) and the
 * working directory (`workingDir`, default `process.cwd()`), and checks it implements the contract.
 *
 * @throws GatewayError `BYOVA_GW_ERR_CONNECTOR` (module, class, contract), ConfigError (its config).
 */
export function loadConnector(
  key: string,
  entry: ConnectorSource,
  baseDir: string,
  logger: ByovaLogger,
  workingDir: string = process.cwd(),
): Connector {
  const source = resolveSource(entry);
  if (source === undefined) {
    throw new GatewayError(GatewayErrorCode.Connector, `connector ${key}: give module and class`);
  }
  const exported = loadModule(source.module, baseDir)[source.class];
  if (typeof exported !== 'function') {
    throw new GatewayError(
      GatewayErrorCode.Connector,
      `connector ${key}: module "${source.module}" exports no class "${source.class}"`,
    );
  }
  const init: GatewayConnectorInit = {
    key,
    config: entry.config,
    baseDir,
    workingDir,
    logger: logger.child({ connector: key }),
  };
  const connector: unknown = new (exported as ConnectorClass)(init);
  assertConnector(connector, `connector ${key} (${source.class} of "${source.module}")`);
  if (connector.key !== key) {
    throw new GatewayError(
      GatewayErrorCode.Connector,
      `connector ${key}: its key is "${connector.key}" (use the key it is given)`,
    );
  }
  return connector;
}
