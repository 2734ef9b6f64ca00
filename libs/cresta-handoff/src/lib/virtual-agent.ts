import { clip, validationError } from './errors';

/** The three path segments of a virtual agent resource name. */
export interface VirtualAgentName {
  /** The full resource name, `customers/{customer}/profiles/{profile}/virtualAgents/{id}`. */
  readonly name: string;
  readonly customer: string;
  readonly profile: string;
  readonly virtualAgentId: string;
}

/**
 * Which path-segment checks run:
 * - `upstream`: the TypeScript Lambda's set (empty, `..`, `/`, `%2e%2e` in any case, NUL);
 * - `extended`: that set plus `\`, `%2f`, `%5c` and double-encoded (`%25xx`) forms, all compared
 *   case-insensitively, as the Python Lambda does.
 *
 * Both reject characters that cannot stand unencoded in a URL path (`?`, `#`, whitespace, control
 * characters), because the request could not be sent with them.
 */
export type PathSegmentChecks = 'upstream' | 'extended';

const NAME_FORM = /^customers\/([^/]+)\/profiles\/([^/]+)\/virtualAgents\/([^/]+)$/;
// eslint-disable-next-line no-control-regex
const NOT_IN_URL_PATH = /[?#\s\u0000-\u001f\u007f]/;

/**
 * Checks one path segment and throws the upstream message for the first rule it breaks.
 *
 * @param label the segment's name in messages: `customer`, `profile` or `virtualAgentID`.
 * @throws {@link CrestaError} with code `CRESTA_ERR_VALIDATION`.
 * @example
 * ```ts
 * validatePathSegment('acme', 'customer'); // ok
 * validatePathSegment('..', 'customer'); // throws 'customer contains invalid characters ...'
 * ```
 */
export function validatePathSegment(
  segment: string,
  label: string,
  checks: PathSegmentChecks = 'extended',
): void {
  const lower = segment.toLowerCase();
  if (segment.length === 0) throw validationError(`${label} cannot be empty`, 'virtualAgentName');
  const separators = checks === 'extended' ? ['..', '/', '\\'] : ['..', '/'];
  if (separators.some((s) => segment.includes(s))) {
    throw validationError(
      `${label} contains invalid characters (path traversal detected): ${clip(segment)}`,
      'virtualAgentName',
    );
  }
  if (lower.includes('%2e%2e')) {
    throw validationError(
      `${label} contains URL-encoded path traversal: ${clip(segment)}`,
      'virtualAgentName',
    );
  }
  if (segment.includes('\u0000')) {
    throw validationError(`${label} contains null byte`, 'virtualAgentName');
  }
  if (checks === 'extended') {
    if (lower.includes('%2f') || lower.includes('%5c')) {
      throw validationError(
        `${label} contains URL-encoded path separator: ${clip(segment)}`,
        'virtualAgentName',
      );
    }
    if (/%25(2e|2f|5c|25)/.test(lower)) {
      throw validationError(
        `${label} contains double-encoded path characters: ${clip(segment)}`,
        'virtualAgentName',
      );
    }
  }
  if (NOT_IN_URL_PATH.test(segment)) {
    throw validationError(
      `${label} contains characters that are not allowed in a URL path: ${JSON.stringify(clip(segment))}`,
      'virtualAgentName',
    );
  }
}

/**
 * Parses and validates `customers/{customer}/profiles/{profile}/virtualAgents/{virtualAgentID}`.
 *
 * @throws {@link CrestaError} with code `CRESTA_ERR_VALIDATION` and the upstream message
 * `invalid virtual agent name: <v>. Expected format: ...`, or a path-segment message.
 * @example
 * ```ts
 * parseVirtualAgentName('customers/acme/profiles/main/virtualAgents/va-1');
 * // { name, customer: 'acme', profile: 'main', virtualAgentId: 'va-1' }
 * ```
 */
export function parseVirtualAgentName(
  name: string,
  checks: PathSegmentChecks = 'extended',
): VirtualAgentName {
  const match = NAME_FORM.exec(name);
  if (!match) {
    throw validationError(
      `invalid virtual agent name: ${clip(name)}. Expected format: customers/{customer}/profiles/{profile}/virtualAgents/{virtualAgentID}`,
      'virtualAgentName',
    );
  }
  const [, customer = '', profile = '', virtualAgentId = ''] = match;
  validatePathSegment(customer, 'customer', checks);
  validatePathSegment(profile, 'profile', checks);
  validatePathSegment(virtualAgentId, 'virtualAgentID', checks);
  return { name, customer, profile, virtualAgentId };
}
