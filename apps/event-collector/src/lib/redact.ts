/** What replaces a secret part of a URL. */
const HIDDEN = '[redacted]';

/**
 * A URL in a form safe for logs, `/health` and error messages: the userinfo (`user:pass@`) and
 * the fragment are removed and every query value is replaced by `[redacted]` (the names stay, to
 * help debugging). Text that does not parse as a URL gets the same treatment by pattern.
 *
 * @example
 * ```ts
 * redactUrl('https://elastic:changeme@es.example.com:9200/?api_key=abc');
 * // 'https://es.example.com:9200/?api_key=[redacted]'
 * ```
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url.replace(/\/\/[^/?#\s]*@/, '//').replace(/[?#].*$/s, '');
  }
  const names = [...u.searchParams.keys()];
  u.username = '';
  u.password = '';
  u.hash = '';
  u.search = '';
  // `new URL` adds a `/` path to a bare origin; keep the text as it was given.
  const base =
    u.pathname === '/' && !/^[a-z]+:\/\/[^/?#]*\//i.test(url) ? u.href.slice(0, -1) : u.href;
  if (names.length === 0) return base;
  return `${base}?${names.map((n) => `${encodeURIComponent(n)}=${HIDDEN}`).join('&')}`;
}

/**
 * Replaces every http(s) URL inside a text (an error message from `fetch`, a response excerpt)
 * by its {@link redactUrl} form.
 *
 * @example
 * ```ts
 * redactUrls('Request cannot be constructed from a URL that includes credentials: https://u:p@es/_bulk');
 * // 'Request cannot be constructed from a URL that includes credentials: https://es/_bulk'
 * ```
 */
export function redactUrls(text: string): string {
  return text.replace(/\bhttps?:\/\/[^\s"'<>`]+/gi, (m) => redactUrl(m));
}
