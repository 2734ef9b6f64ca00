// Webex OAuth (OpenID Connect authorization code) login for the dashboard. The org allow-list
// decision uses the org id of an access token that Webex has just accepted (the userinfo call
// fails for a forged or expired token), never an unverified id_token.

import type { ServiceErrorOptions } from '@org/service-kit';
import { GatewayError, GatewayErrorCode } from '../errors';

/** Who logged in. */
export interface SessionUser {
  readonly name: string;
  readonly email: string;
  readonly orgId: string;
}

/** A login failure; `message` is shown on the login page. */
export class WebexLoginError extends GatewayError {
  constructor(message: string, options: ServiceErrorOptions = {}) {
    super(GatewayErrorCode.WebexLogin, message, options);
  }
}

export interface WebexOAuthOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  readonly scopes: string;
  /** `https://webexapis.com/v1` */
  readonly baseUrl: string;
  readonly authorizedOrgs: readonly string[];
  readonly timeoutMs: number;
  readonly fetch?: typeof fetch;
}

/** Parses a comma-separated org list (whitespace trimmed, empty entries ignored). */
export function parseOrgList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((org) => org.trim())
    .filter((org) => org !== '');
}

export class WebexOAuth {
  readonly #options: WebexOAuthOptions;
  readonly #fetch: typeof fetch;

  constructor(options: WebexOAuthOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
  }

  /** Where to send the browser, with the per-login random `state`. */
  authorizeUrl(state: string): string {
    const url = new URL(`${this.#options.baseUrl.replace(/\/+$/, '')}/authorize`);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.#options.clientId);
    url.searchParams.set('redirect_uri', this.#options.redirectUri);
    url.searchParams.set('scope', this.#options.scopes);
    url.searchParams.set('state', state);
    return url.toString();
  }

  /**
   * Exchanges the authorization code and checks the user's org.
   *
   * @throws WebexLoginError with a message for the login page.
   */
  async complete(code: string): Promise<SessionUser> {
    const base = this.#options.baseUrl.replace(/\/+$/, '');
    let accessToken: string;
    try {
      const response = await this.#fetch(`${base}/access_token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: this.#options.clientId,
          client_secret: this.#options.clientSecret,
          code,
          redirect_uri: this.#options.redirectUri,
        }),
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
      const body = (await response.json().catch(() => ({}))) as { access_token?: unknown };
      if (!response.ok || typeof body.access_token !== 'string' || body.access_token === '') {
        throw new WebexLoginError('Failed to authenticate with Webex');
      }
      accessToken = body.access_token;
    } catch (error) {
      if (error instanceof WebexLoginError) throw error;
      throw new WebexLoginError('Failed to authenticate with Webex', { cause: error });
    }
    // Webex access tokens read <token>_<cluster>_<orgId>.
    const orgId = accessToken.split('_')[2];
    if (orgId === undefined || orgId === '')
      throw new WebexLoginError('Invalid access token format');
    let info: { name?: unknown; email?: unknown };
    try {
      const response = await this.#fetch(`${base}/userinfo`, {
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
      if (!response.ok) throw new WebexLoginError('Failed to authenticate with Webex');
      info = (await response.json()) as { name?: unknown; email?: unknown };
    } catch (error) {
      if (error instanceof WebexLoginError) throw error;
      throw new WebexLoginError('Failed to authenticate with Webex', { cause: error });
    }
    if (!this.#options.authorizedOrgs.includes(orgId)) {
      throw new WebexLoginError('Your organization is not authorized to access this dashboard');
    }
    return {
      name: typeof info.name === 'string' ? info.name : '',
      email: typeof info.email === 'string' ? info.email : '',
      orgId,
    };
  }
}
