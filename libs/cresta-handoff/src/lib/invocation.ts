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
import {
  clip,
  CrestaError,
  CrestaErrorCode,
  messageOf,
  redactUserinfo,
  validationError,
} from './errors';
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
  const str = (value: string | undefined): string => value ?? '';
  const input = Object.fromEntries(
    Object.entries(parsed.data).map(([key, value]) => [key, str(value)]),
  ) as Record<keyof InvocationInput, string>;
  for (const key of INPUT_KEYS) input[key] ??= '';
  const logger = options.logger ?? silentLogger;
  const stripSlash = options.stripTrailingSlash ?? true;

  const willUseOAuth =
    input.oauthSecretArn !== '' || (input.oauthClientId !== '' && input.oauthClientSecret !== '');
  if (willUseOAuth && (input.apiDomain === '') !== (input.authDomain === '')) {
    throw validationError('apiDomain and authDomain must be provided together', 'apiDomain');
  }
  const hosts = resolveHosts(input);
  const { action, virtualAgent } = requireTarget(input, options, logger);
  const { auth, authSource, authBase } = await resolveAuth(input, hosts, options, logger);
  if (!(CRESTA_ACTIONS as readonly string[]).includes(action)) {
    throw validationError(`invalid action: ${clip(action)}`, 'action');
  }
  return {
    action: action as CrestaAction,
    region: hosts.region,
    apiBase: stripSlash ? stripTrailingSlash(hosts.apiBase) : hosts.apiBase,
    authBase:
      authBase === undefined ? undefined : stripSlash ? stripTrailingSlash(authBase) : authBase,
    virtualAgent,
    auth,
    authSource,
  };
}

type Input = Record<keyof InvocationInput, string>;

const INPUT_KEYS: readonly (keyof InvocationInput)[] = [
  'action',
  'region',
  'apiDomain',
  'authDomain',
  'virtualAgentName',
  'oauthClientId',
  'oauthClientSecret',
  'oauthSecretArn',
  'apiKey',
];

/** Steps 2 and 3: the region (given or from `apiDomain`), the API base and the auth host. */
function resolveHosts(input: Input): { region: string; apiBase: string; authBase?: string } {
  let region = input.region;
  if (region === '') {
    if (input.apiDomain === '') throw validationError('region is required', 'region');
    const extracted = extractRegionFromDomain(input.apiDomain);
    if (extracted === undefined) {
      throw validationError(
        `could not extract region from apiDomain: could not extract region from domain: ${clip(redactUserinfo(input.apiDomain))}`,
        'apiDomain',
      );
    }
    region = extracted;
  }
  let apiBase: string;
  if (input.apiDomain !== '') {
    apiBase = withScheme(input.apiDomain);
  } else {
    const normalized = normalizeRegion(region);
    if (normalized === undefined)
      throw validationError(`invalid region: ${clip(region)}`, 'region');
    apiBase = apiBaseForRegion(normalized);
  }
  const apiProblem = domainProblem(apiBase);
  if (apiProblem !== undefined) throw validationError(`invalid domain: ${apiProblem}`, 'apiDomain');
  if (input.authDomain === '') return { region, apiBase };
  const authBase = withScheme(input.authDomain);
  const authProblem = domainProblem(authBase);
  if (authProblem !== undefined) {
    throw validationError(`invalid authDomain: ${authProblem}`, 'authDomain');
  }
  return { region, apiBase, authBase };
}

/** Step 4: the action and the virtual agent name, present and well formed. */
function requireTarget(
  input: Input,
  options: ResolveOptions,
  logger: CrestaLogger,
): { action: string; virtualAgent: VirtualAgentName } {
  if (input.action === '') throw validationError('action is required', 'action');
  if (input.virtualAgentName === '') {
    throw validationError('virtualAgentName is required', 'virtualAgentName');
  }
  try {
    return {
      action: input.action,
      virtualAgent: parseVirtualAgentName(
        input.virtualAgentName,
        options.pathSegmentChecks ?? 'extended',
      ),
    };
  } catch (err) {
    logger.error(`Error parsing virtual agent name: ${messageOf(err)}`);
    throw err;
  }
}

/** Steps 5 and 6: credentials (Secrets Manager, parameters, or an API key) and the auth host. */
async function resolveAuth(
  input: Input,
  hosts: { region: string; authBase?: string },
  options: ResolveOptions,
  logger: CrestaLogger,
): Promise<Pick<ResolvedInvocation, 'auth' | 'authSource' | 'authBase'>> {
  let credentials: OAuthCredentials | undefined;
  let authSource: ResolvedInvocation['authSource'] = 'apiKey';
  if (input.oauthSecretArn !== '') {
    credentials = await loadSecret(input.oauthSecretArn, options, logger);
    authSource = 'secretsManager';
  } else if (input.oauthClientId !== '' && input.oauthClientSecret !== '') {
    credentials = { clientId: input.oauthClientId, clientSecret: input.oauthClientSecret };
    authSource = 'oauthParameters';
  }
  if (credentials !== undefined) {
    logger.info('Using OAuth 2 authentication');
    const lowerCaseForAuth = options.lowerCaseRegionForAuth ?? true;
    const authRegion = lowerCaseForAuth ? hosts.region.toLowerCase() : hosts.region;
    return {
      auth: {
        kind: 'oauth',
        clientId: credentials.clientId,
        clientSecret: credentials.clientSecret,
      },
      authSource,
      authBase: hosts.authBase ?? authBaseForRegion(authRegion),
    };
  }
  if (input.apiKey !== '') {
    logger.warn('Using API key authentication (deprecated)');
    return { auth: { kind: 'apiKey', apiKey: input.apiKey }, authSource, authBase: hosts.authBase };
  }
  throw validationError(
    'either apiKey (deprecated), oauthClientId/oauthClientSecret, or oauthSecretArn must be provided',
    'apiKey',
  );
}

async function loadSecret(
  arn: string,
  options: ResolveOptions,
  logger: CrestaLogger,
): Promise<OAuthCredentials> {
  logger.info(`Fetching OAuth credentials from Secrets Manager: ${arn}`);
  let credentials: OAuthCredentials;
  try {
    if (options.loadOAuthSecret === undefined) {
      throw new CrestaError(CrestaErrorCode.Secret, 'no Secrets Manager loader is configured');
    }
    credentials = await options.loadOAuthSecret(arn);
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
  return credentials;
}
