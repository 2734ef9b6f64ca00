/**
 * Genesys Cloud regions: the AWS region key (as the SDKs name it) and the environment domain that
 * `login.` and `api.` are prefixed to. Only these are accepted, so credentials can never be sent
 * to an arbitrary host by a typo; anything else goes through the explicit base-URL overrides.
 */
export const GENESYS_REGIONS: Readonly<Record<string, string>> = {
  'us-east-1': 'mypurecloud.com',
  'us-east-2': 'use2.us-gov-pure.cloud',
  'us-west-2': 'usw2.pure.cloud',
  'ca-central-1': 'cac1.pure.cloud',
  'sa-east-1': 'sae1.pure.cloud',
  'mx-central-1': 'mxc1.pure.cloud',
  'eu-west-1': 'mypurecloud.ie',
  'eu-west-2': 'euw2.pure.cloud',
  'eu-central-1': 'mypurecloud.de',
  'eu-central-2': 'euc2.pure.cloud',
  'me-central-1': 'mec1.pure.cloud',
  'ap-south-1': 'aps1.pure.cloud',
  'ap-southeast-1': 'apse1.pure.cloud',
  'ap-southeast-2': 'mypurecloud.com.au',
  'ap-northeast-1': 'mypurecloud.jp',
  'ap-northeast-2': 'apne2.pure.cloud',
  'ap-northeast-3': 'apne3.pure.cloud',
  // Seen only in third-party code, not in the SDK enum.
  'eusc-de-east-1': 'edee1.eusc-pure.cloud',
};

/**
 * Resolves `GENESYS_ENV` (a region key or a domain, case-insensitive) to the environment domain,
 * or `undefined` when it is not on the allow-list.
 *
 * @example
 * ```ts
 * resolveGenesysEnv('eu-west-1'); // 'mypurecloud.ie'
 * resolveGenesysEnv('usw2.pure.cloud'); // 'usw2.pure.cloud'
 * ```
 */
export function resolveGenesysEnv(value: string): string | undefined {
  const v = value.trim().toLowerCase();
  const byKey = GENESYS_REGIONS[v];
  if (byKey !== undefined) return byKey;
  return Object.values(GENESYS_REGIONS).includes(v) ? v : undefined;
}

/** Host names of this machine: the only ones plain `http://` or `ws://` may go to. */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set([
  '127.0.0.1',
  'localhost',
  '[::1]',
  '::1',
]);
