import { redactUrl, redactUrls } from '../src/lib/redact';

describe('redactUrl', () => {
  it.each([
    ['https://elastic:hunter2@es.example.com:9200', 'https://es.example.com:9200'],
    ['https://elastic:hunter2@es.example.com:9200/', 'https://es.example.com:9200/'],
    [
      'https://es.example.com/x/_bulk?api_key=hunter2&v=1#hunter2',
      'https://es.example.com/x/_bulk?api_key=[redacted]&v=[redacted]',
    ],
    ['https://api.usw2.pure.cloud', 'https://api.usw2.pure.cloud'],
    ['//elastic:hunter2@es/x?k=hunter2', '//es/x'],
  ])('removes userinfo, fragment and query values from %j', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });
});

describe('redactUrls', () => {
  it('redacts every URL inside an error message and leaves the rest of the text alone', () => {
    const msg =
      'Request cannot be constructed from a URL that includes credentials: https://elastic:hunter2@es:9200/_bulk';
    expect(redactUrls(msg)).toBe(
      'Request cannot be constructed from a URL that includes credentials: https://es:9200/_bulk',
    );
    expect(redactUrls('fetch failed')).toBe('fetch failed');
  });
});
