import * as z from 'zod/mini';
import type { CrestaAuth } from './client';
import {
  apiBaseForRegion,
  authBaseForRegion,
  domainProblem,
  extractRegionFromDomain,
  normalizeRegion,
  stripTrailingSlash,
  withScheme,
} from './domains';
import { CrestaError, CrestaErrorCode, messageOf, validationError } from './errors';
import { type CrestaLogger, silentLogger } from './logger';
import type { OAuthCredentials } from './oauth-secret';
import {
  parseVirtualAgentName,
  type PathSegmentChecks,
  type VirtualAgentName,
} from './virtual-agent';

/** The two actions the Lambda serves. */
export const CRESTA_ACTIONS = ['get_pstn_transfer_data', 'get_handoff_data'] as const;

/** One of {@link CRESTA_ACTIONS}. */
export type CrestaAction = (typeof CRESTA_ACTIONS)[number];

/**
 * The raw configuration of one invocation, already looked up from Connect parameters and the
 * environment. `""` (or a missing key) means "not set".
 */
export interface InvocationInput {
  action?: string;
  region?: string;
  apiDomain?: string;
  authDomain?: string;
  virtualAgentName?: string;
  oauthClientId?: string;
  oauthClientSecret?: string;
  oauthSecretArn?: string;
  apiKey?: string;
}

/** Behaviour switches of {@link resolveInvocation}; each default differs from upstream on purpose. */
export interface ResolveBehaviour {
  /**
   * Lower-case the region before the auth mapping too, so `Voice-Prod` maps like `voice-prod`.
   * Upstream lower-cases it only for the API mapping.
   * @default true
   */
  lowerCaseRegionForAuth?: boolean;
  /**
   * Strip one trailing `/` from `apiDomain`/`authDomain`. Upstream keeps it and sends `//v1/...`.
   * @default true
   */
  stripTrailingSlash?: boolean;
  /** @default 'extended' */
  pathSegmentChecks?: PathSegmentChecks;
}

/** Options of {@link resolveInvocation}. */
export interface ResolveOptions extends ResolveBehaviour {
  /**
   * Loads OAuth credentials from a Secrets Manager ARN (the app supplies it: this library does not
   * depend on the AWS SDK). Its error message becomes `failed to retrieve OAuth credentials from
   * Secrets Manager: <message>`.
   */
  loadOAuthSecret?: (arn: string) => Promise<OAuthCredentials>;
  /** @default silentLogger */
  logger?: CrestaLogger;
}

/** A validated invocation: what to call, where, and with which credentials. */
export interface ResolvedInvocation {
  readonly action: CrestaAction;
  /** The region (from `region`, or extracted from `apiDomain`). */
  readonly region: string;
  readonly apiBase: string;
  /** The OAuth base; set whenever OAuth is used. */
  readonly authBase: string | undefined;
  readonly virtualAgent: VirtualAgentName;
  readonly auth: CrestaAuth;
  /** Where the credentials came from. */
  readonly authSource: 'secretsManager' | 'oauthParameters' | 'apiKey';
}

const optionalString = z.optional(z.string());
const inputSchema = z.object({
  action: optionalString,
  region: optionalString,
  apiDomain: optionalString,
  authDomain: optionalString,
  virtualAgentName: optionalString,
  oauthClientId: optionalString,
  oauthClientSecret: optionalString,
  oauthSecretArn: optionalString,
  apiKey: optionalString,
});

/**
 * Runs the upstream validation in the upstream order and throws at the first failure, with the
 * upstream message:
 *
 * 1. OAuth (secret ARN, or id + secret) with only one of `apiDomain`/`authDomain` →
 *    `apiDomain and authDomain must be provided together`;
 * 2. region from `region`, else extracted from `apiDomain`, else `region is required`;
 * 3. API base from `apiDomain` (https:// added) or from the region (`invalid region: <r>`), then
 *    `invalid domain: <reason>`; `authDomain` likewise (`invalid authDomain: <reason>`);
 * 4. `action is required`, `virtualAgentName is required`, the name's format and segments;
 * 5. Secrets Manager (`failed to retrieve OAuth credentials from Secrets Manager: <inner>`);
 * 6. the auth method (OAuth, else API key, else `either apiKey (deprecated), ...`);
 * 7. `invalid action: <action>`.
 *
 * @throws {@link CrestaError} `CRESTA_ERR_VALIDATION` or `CRESTA_ERR_SECRET`.
 * @example
 * ```ts
 * const resolved = await resolveInvocation({
 *   action: 'get_pstn_transfer_data',
 *   region: 'voice-prod',
 *   virtualAgentName: 'customers/acme/profiles/main/virtualAgents/va-1',
 *   oauthClientId: 'id',
 *   oauthClientSecret: 'secret',
 * });
 * resolved.authBase; // 'https://auth.us-west-2-prod.cresta.ai'
 * ```
 */
export async function resolveInvocation(
  rawInput: InvocationInput,
  options: ResolveOptions = {},
): Promise<ResolvedInvocation> {
  const parsed = inputSchema.safeParse(rawInput);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CrestaError(
      CrestaErrorCode.InvalidOptions,
      `invalid invocation input: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`,
    );
  }
  const input = parsed.data;
  const logger = options.logger ?? silentLogger;
  const lowerCaseForAuth = options.lowerCaseRegionForAuth ?? true;
  const stripSlash = options.stripTrailingSlash ?? true;
  const str = (value: string | undefined): string => value ?? '';

  const region = str(input.region);
  const apiDomain = str(input.apiDomain);
  const authDomain = str(input.authDomain);
  const secretArn = str(input.oauthSecretArn);
  const clientId = str(input.oauthClientId);
  const clientSecret = str(input.oauthClientSecret);

  const willUseOAuth = secretArn !== '' || (clientId !== '' && clientSecret !== '');
  if (willUseOAuth && (apiDomain === '') !== (authDomain === '')) {
    throw validationError('apiDomain and authDomain must be provided together', 'apiDomain');
  }

  let effectiveRegion = region;
  if (effectiveRegion === '') {
    if (apiDomain !== '') {
      const extracted = extractRegionFromDomain(apiDomain);
      if (extracted === undefined) {
        throw validationError(
          `could not extract region from apiDomain: could not extract region from domain: ${apiDomain}`,
          'apiDomain',
        );
      }
      effectiveRegion = extracted;
    } else {
      throw validationError('region is required', 'region');
    }
  }

  let apiBase: string;
  if (apiDomain !== '') {
    apiBase = withScheme(apiDomain);
  } else {
    const normalized = normalizeRegion(effectiveRegion);
    if (normalized === undefined)
      throw validationError(`invalid region: ${effectiveRegion}`, 'region');
    apiBase = apiBaseForRegion(normalized);
  }
  const apiProblem = domainProblem(apiBase);
  if (apiProblem !== undefined) throw validationError(`invalid domain: ${apiProblem}`, 'apiDomain');

  let authBase: string | undefined;
  if (authDomain !== '') {
    authBase = withScheme(authDomain);
    const authProblem = domainProblem(authBase);
    if (authProblem !== undefined) {
      throw validationError(`invalid authDomain: ${authProblem}`, 'authDomain');
    }
  }

  const action = str(input.action);
  if (action === '') throw validationError('action is required', 'action');
  const vaName = str(input.virtualAgentName);
  if (vaName === '') throw validationError('virtualAgentName is required', 'virtualAgentName');
  let virtualAgent: VirtualAgentName;
  try {
    virtualAgent = parseVirtualAgentName(vaName, options.pathSegmentChecks ?? 'extended');
  } catch (err) {
    logger.error(`Error parsing virtual agent name: ${messageOf(err)}`);
    throw err;
  }

  let credentials: OAuthCredentials | undefined;
  let authSource: ResolvedInvocation['authSource'] = 'apiKey';
  if (secretArn !== '') {
    logger.info(`Fetching OAuth credentials from Secrets Manager: ${secretArn}`);
    try {
      if (options.loadOAuthSecret === undefined) {
        throw new CrestaError(CrestaErrorCode.Secret, 'no Secrets Manager loader is configured');
      }
      credentials = await options.loadOAuthSecret(secretArn);
    } catch (err) {
      logger.error(`Failed to retrieve credentials from Secrets Manager: ${messageOf(err)}`);
      const code =
        err instanceof CrestaError && err.code !== CrestaErrorCode.Validation
          ? err.code
          : CrestaErrorCode.Secret;
      throw new CrestaError(
        code,
        `failed to retrieve OAuth credentials from Secrets Manager: ${messageOf(err)}`,
        { cause: err, field: 'oauthSecretArn' },
      );
    }
    logger.info('Successfully retrieved OAuth credentials from Secrets Manager');
    authSource = 'secretsManager';
  } else if (clientId !== '' && clientSecret !== '') {
    credentials = { clientId, clientSecret };
    authSource = 'oauthParameters';
  }

  let auth: CrestaAuth;
  const apiKey = str(input.apiKey);
  if (credentials !== undefined) {
    logger.info('Using OAuth 2 authentication');
    auth = {
      kind: 'oauth',
      clientId: credentials.clientId,
      clientSecret: credentials.clientSecret,
    };
    if (authBase === undefined) {
      const authRegion = lowerCaseForAuth ? effectiveRegion.toLowerCase() : effectiveRegion;
      authBase = authBaseForRegion(authRegion);
    }
  } else if (apiKey !== '') {
    logger.warn('Using API key authentication (deprecated)');
    auth = { kind: 'apiKey', apiKey };
  } else {
    throw validationError(
      'either apiKey (deprecated), oauthClientId/oauthClientSecret, or oauthSecretArn must be provided',
      'apiKey',
    );
  }

  if (!(CRESTA_ACTIONS as readonly string[]).includes(action)) {
    throw validationError(`invalid action: ${action}`, 'action');
  }

  return {
    action: action as CrestaAction,
    region: effectiveRegion,
    apiBase: stripSlash ? stripTrailingSlash(apiBase) : apiBase,
    authBase:
      authBase === undefined ? undefined : stripSlash ? stripTrailingSlash(authBase) : authBase,
    virtualAgent,
    auth,
    authSource,
  };
}
