// The gateway configuration a deployment runs with: a YAML document (BYOVA_CONFIG_FILE or the
// shipped gateway.aws.yaml) that the stack stores in SSM Parameter Store and the task receives
// as BYOVA_CONFIG_YAML. It is validated here with the gateway's own parser and exposure check,
// and what the stack must build around it (ports, secrets, Lex permissions) is read from the
// validated result. Recordings are refused: the tasks have no storage that is writable, shared
// and outlives them (see `recordingProblems`).

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { InfraError, InfraErrorCode } from '@org/infra';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { type GatewayConfig, parseConfig, resolveConfigPath } from '../config';
import { builtInKind } from '../lib/connectors/loader';
import { validateLexConfig } from '../lib/connectors/lex';
import { validateLocalAudioConfig } from '../lib/connectors/local-audio';
import { isSecretKey, unauthenticatedListeners } from '../lib/security';

/** The image's config folder: relative paths in the YAML resolve from here. */
export const IMAGE_CONFIG_DIR = '/app/config';
/**
 * The image's volume for recordings (owned by the gateway's user), for `docker run -v` locally.
 * The AWS stack mounts nothing here: it refuses recordings (see `deployConfig`).
 */
export const AUDIO_DIR = '/var/lib/byova/audio';
/** Why the AWS stack refuses recordings, the end of every such refusal. */
export const RECORDINGS_NOT_DEPLOYABLE =
  'recordings are a local/dev feature in this deployment: the root filesystem is read-only and ' +
  'no storage is shared by the tasks or outlives them (the load balancer sends the streams of ' +
  'one call to any task, and a stopped task loses its disk); set it to false';
/** The configuration deployed when BYOVA_CONFIG_FILE is not set. */
export const DEFAULT_DEPLOY_CONFIG = join(__dirname, 'gateway.aws.yaml');

/** A Lex bot the gateway calls, as its connector configuration names it. */
export interface LexBot {
  readonly region: string;
  /** Unset: the connector discovers every bot with an alias (ListBots, ListBotAliases). */
  readonly botId?: string;
  readonly botAliasId?: string;
}

/** The validated deployment configuration and what the stack derives from it. */
export interface DeployConfig {
  /** The YAML stored in SSM (the input, with the datasource URL filled in). */
  readonly yaml: string;
  /** SHA-256 of `yaml`: a label on the container, so a changed config replaces the tasks. */
  readonly sha256: string;
  readonly config: GatewayConfig;
  /** Variables the stack sets besides BYOVA_CONFIG_YAML. */
  readonly environment: Readonly<Record<string, string>>;
  /** The URL to register as the Webex data source (the JWT's `com.cisco.datasource.url`). */
  readonly datasourceUrl: string;
  /** Login configured: the dashboard is served through the load balancer. */
  readonly dashboardPublic: boolean;
  /** Variables the YAML names for secrets, injected from BYOVA_SECRET_NAME. */
  readonly secretEnvNames: readonly string[];
  readonly lexBots: readonly LexBot[];
}

function refuse(message: string): never {
  throw new InfraError(InfraErrorCode.Parameters, `BYOVA_CONFIG_FILE: ${message}`);
}

/** Variables the configuration names for secrets, for the features it enables. */
function secretEnvNames(config: GatewayConfig): string[] {
  const names: string[] = [];
  const auth = config.authentication;
  if (auth.enabled) {
    // Shared by every task: a per-process random secret would end sessions on other tasks.
    names.push(auth.session.secret_key_env);
    if (auth.mode === 'token') names.push(auth.token_env);
    else {
      const oauth = auth.webex_oauth;
      names.push(oauth.client_id_env, oauth.client_secret_env, oauth.redirect_uri_env);
      names.push(auth.authorized_orgs_env);
    }
  }
  const source = config.data_source;
  if (source.enabled) {
    const a = source.auth;
    if (a.type === 'static') names.push(a.access_token_env);
    else names.push(a.client_id_env, a.client_secret_env, a.refresh_token_env);
  }
  return [...new Set(names)].sort();
}

/**
 * Every recording setting the configuration turns on, as `<setting> (<what>): writes under <dir>`:
 * the gateway-wide `audio_recording`, a Lex connector's `audio_logging` and a local audio
 * connector's `record_caller_audio`. A plugin connector is checked for the same two keys.
 */
function recordingProblems(config: GatewayConfig): string[] {
  const problems: string[] = [];
  const at = (dir: string) => resolveConfigPath(config, dir);
  if (config.audio_recording.enabled) {
    problems.push(
      `audio_recording.enabled (gateway-wide recording): writes under ${at(config.audio_recording.output_dir)}`,
    );
  }
  for (const [key, entry] of Object.entries(config.connectors)) {
    const kind = builtInKind(entry);
    const setting = `connectors.${key}.config`;
    if (kind === 'aws_lex') {
      const logging = validateLexConfig(key, entry.config).audio_logging;
      if (logging?.enabled === true) {
        problems.push(
          `${setting}.audio_logging.enabled (Lex connector "${key}"): writes under ${at(logging.output_dir)}`,
        );
      }
    } else if (kind === 'local_audio') {
      const c = validateLocalAudioConfig(key, entry.config);
      if (c.record_caller_audio) {
        problems.push(
          `${setting}.record_caller_audio (local audio connector "${key}"): writes under ${at(c.audio_recording.output_dir)}`,
        );
      }
    } else {
      const raw = (entry.config ?? {}) as Record<string, unknown>;
      const logging = raw['audio_logging'] as Record<string, unknown> | undefined;
      if (logging?.['enabled'] === true) {
        problems.push(`${setting}.audio_logging.enabled (plugin connector "${key}")`);
      }
      if (raw['record_caller_audio'] === true) {
        problems.push(`${setting}.record_caller_audio (plugin connector "${key}")`);
      }
    }
  }
  return problems;
}

/**
 * Keys that name a quantity, not a secret, though a secret's word is in them
 * (`data_source.token_lifetime_minutes`): a duration, a size or a count.
 */
const QUANTITY_KEY = /_(ms|seconds|minutes|hours|days|bytes|count)$/i;

/**
 * Every setting of the YAML document whose key names a secret (the gateway's own
 * `isSecretKey`: `SECRET_KEY_PATTERNS`, `*_env` keys excepted) and that holds a value, as its
 * path (`connectors.lex.config.aws_secret_access_key`). A mapping under such a key (e.g.
 * `data_source.auth`) is searched, not refused; values are never returned.
 */
export function inlineSecretKeys(value: unknown, path = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((item, i) => [String(i), item])
    : Object.entries(value as Record<string, unknown>);
  return entries.flatMap(([key, item]) => {
    const at = path === '' ? key : `${path}.${key}`;
    if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
      return inlineSecretKeys(item, at);
    }
    if (Array.isArray(value) || !isSecretKey(key) || QUANTITY_KEY.test(key)) {
      return inlineSecretKeys(item, at);
    }
    const holdsValue =
      typeof item === 'number' ||
      (typeof item === 'string' && item.trim() !== '') ||
      (Array.isArray(item) && item.length > 0);
    return holdsValue ? [at] : [];
  });
}

/** Why secrets in the YAML are refused, the end of that refusal. */
export const INLINE_SECRETS_NOT_DEPLOYABLE =
  'the stack stores the YAML in clear text in the CloudFormation template and a plain SSM String ' +
  'parameter; remove the value: AWS access comes from the task role (Lex needs no keys), and other ' +
  'secrets go in the Secrets Manager secret BYOVA_SECRET_NAME names, read through the matching ' +
  '*_env key';

function lexBots(config: GatewayConfig): LexBot[] {
  return Object.entries(config.connectors).flatMap(([key, entry]) => {
    if (builtInKind(entry) !== 'aws_lex') return [];
    const c = validateLexConfig(key, entry.config);
    return [
      {
        region: c.region_name,
        ...(c.bot_id === undefined ? {} : { botId: c.bot_id }),
        ...(c.bot_alias_id === undefined ? {} : { botAliasId: c.bot_alias_id }),
      },
    ];
  });
}

/**
 * Validates the YAML for a deployment behind the load balancer at `domain` and derives what the
 * stack needs from it. An empty `jwt_validation.datasource_url` becomes `https://<domain>`.
 *
 * @throws InfraError `INFRA_ERR_PARAMETERS` when a secret is written in the YAML (a key the
 *   gateway's `SECRET_KEY_PATTERNS` match, e.g. `aws_secret_access_key`), JWT validation is off
 *   or not enforced, health checks would need a token, a listener would be exposed without
 *   authentication, or any recording is on (gateway-wide or a connector's): each refused setting
 *   is named, never its value.
 * @throws ConfigError (the gateway's) for anything the gateway itself would refuse.
 */
export function deployConfig(text: string, domain: string): DeployConfig {
  const document = (parseYaml(text) ?? {}) as Record<string, unknown>;
  if (typeof document !== 'object' || Array.isArray(document)) refuse('not a YAML mapping');
  const secrets = inlineSecretKeys(document);
  if (secrets.length > 0) {
    refuse(`secret values in the YAML: ${secrets.join(', ')}. ${INLINE_SECRETS_NOT_DEPLOYABLE}`);
  }
  const jwt = (document['jwt_validation'] ?? {}) as Record<string, unknown>;
  if (jwt['datasource_url'] === undefined || jwt['datasource_url'] === '') {
    document['jwt_validation'] = { ...jwt, datasource_url: `https://${domain}` };
  }
  const probe = parseConfig(document, {}, IMAGE_CONFIG_DIR);
  const dashboardPublic = probe.monitoring.enabled && probe.authentication.enabled;
  const environment = {
    BYOVA_GRPC_HOST: '0.0.0.0',
    BYOVA_MONITORING_HOST: dashboardPublic ? '0.0.0.0' : '127.0.0.1',
  };
  const config = parseConfig(document, environment, IMAGE_CONFIG_DIR);
  const v = config.jwt_validation;
  if (!v.enabled || !v.enforce_validation) {
    refuse('jwt_validation.enabled and enforce_validation must be true behind a public endpoint');
  }
  if (!v.exempt_health) {
    refuse(
      'jwt_validation.exempt_health must be true: the load balancer checks health unauthenticated',
    );
  }
  const exposed = unauthenticatedListeners(config);
  if (exposed.length > 0) refuse(`exposed without authentication: ${exposed.join('; ')}`);
  const recordings = recordingProblems(config);
  if (recordings.length > 0) refuse(`${recordings.join('; ')}. ${RECORDINGS_NOT_DEPLOYABLE}`);
  const yaml = stringifyYaml(document);
  return {
    yaml,
    sha256: createHash('sha256').update(yaml).digest('hex'),
    config,
    environment,
    datasourceUrl: v.datasource_url,
    dashboardPublic,
    secretEnvNames: secretEnvNames(config),
    lexBots: lexBots(config),
  };
}
