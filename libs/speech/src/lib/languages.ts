// AudioHook language tags (BCP 47 style, as Genesys sends them in `open`/`update`) and the codes
// of Amazon Transcribe streaming. AudioHook may say `cmn-CN` or `EN-us`; Transcribe wants `zh-CN`
// and `en-US`. The code list is the streaming API's `LanguageCode` set (a test in the app compares
// it with the SDK's).

/** Every `LanguageCode` Amazon Transcribe streaming (`StartStreamTranscription`) accepts. */
export const TRANSCRIBE_STREAMING_LANGUAGES: readonly string[] = (
  'af-ZA am-ET ar-AE ar-SA be-BY bg-BG bn-IN bs-BA ca-ES ckb-IQ ckb-IR cs-CZ cy-WL da-DK ' +
  'de-CH de-DE el-GR en-AB en-AU en-GB en-IE en-IN en-NZ en-US en-WL en-ZA es-ES es-MX ' +
  'es-US et-ET eu-ES fa-AF fa-IR fi-FI fr-CA fr-FR gl-ES gu-IN he-IL hi-IN hr-HR ht-HT ' +
  'hu-HU hy-AM id-ID is-IS it-IT ja-JP jv-ID kab-DZ ka-GE kk-KZ km-KH kn-IN ko-KR lg-IN ' +
  'lt-LT lv-LV mk-MK ml-IN mr-IN ms-MY my-MM ne-NP nl-NL no-NO or-IN pa-IN pl-PL ps-AF ' +
  'pt-BR pt-PT ro-RO ru-RU si-LK sk-SK sl-SI so-SO sq-AL sr-RS su-ID sv-SE sw-BI sw-KE ' +
  'sw-RW sw-TZ sw-UG ta-IN te-IN th-TH tl-PH tr-TR uk-UA uz-UZ vi-VN zh-CN zh-HK zh-TW ' +
  'zu-ZA'
).split(' ');

const BY_LOWER = new Map(TRANSCRIBE_STREAMING_LANGUAGES.map((code) => [code.toLowerCase(), code]));

/**
 * Tags that name a Transcribe language differently (lower case): Mandarin and Cantonese as
 * `cmn`/`yue` or with a script subtag, and retired or macro-language codes.
 */
const ALIASES: Readonly<Record<string, string>> = {
  'cmn-cn': 'zh-CN',
  'cmn-hans-cn': 'zh-CN',
  'zh-hans-cn': 'zh-CN',
  'zh-hans': 'zh-CN',
  'cmn-tw': 'zh-TW',
  'cmn-hant-tw': 'zh-TW',
  'zh-hant-tw': 'zh-TW',
  'zh-hant': 'zh-TW',
  'yue-hk': 'zh-HK',
  'yue-hant-hk': 'zh-HK',
  'zh-hant-hk': 'zh-HK',
  'iw-il': 'he-IL',
  'nb-no': 'no-NO',
  'fil-ph': 'tl-PH',
  'in-id': 'id-ID',
};

/** A bare language (no region) maps to the region Transcribe offers first for it. */
const DEFAULT_REGION: Readonly<Record<string, string>> = {
  en: 'en-US',
  es: 'es-US',
  fr: 'fr-FR',
  de: 'de-DE',
  it: 'it-IT',
  pt: 'pt-BR',
  ja: 'ja-JP',
  ko: 'ko-KR',
  zh: 'zh-CN',
  cmn: 'zh-CN',
  yue: 'zh-HK',
  nl: 'nl-NL',
  hi: 'hi-IN',
  ar: 'ar-SA',
};

/**
 * The Transcribe streaming code for an AudioHook language tag (case-insensitive), or `undefined`
 * when Transcribe has no such language.
 *
 * @example
 * ```ts
 * toTranscribeLanguage('cmn-CN'); // 'zh-CN'
 * toTranscribeLanguage('EN-us');  // 'en-US'
 * toTranscribeLanguage('xx-XX');  // undefined
 * ```
 */
export function toTranscribeLanguage(tag: string): string | undefined {
  const lower = tag.trim().toLowerCase().replace(/_/g, '-');
  return BY_LOWER.get(lower) ?? ALIASES[lower] ?? DEFAULT_REGION[lower];
}

/**
 * The AudioHook tag to report for a Transcribe code: the code itself (Transcribe codes are
 * `ll-CC` tags already), or `undefined` for a code Transcribe streaming does not have.
 *
 * @example
 * ```ts
 * fromTranscribeLanguage('zh-cn'); // 'zh-CN'
 * ```
 */
export function fromTranscribeLanguage(code: string): string | undefined {
  return BY_LOWER.get(code.trim().toLowerCase());
}

/**
 * Finds `tag` in `configured` (case-insensitive) and returns the configured spelling, or
 * `undefined`. The configured list is what `opened.supportedLanguages` reports.
 *
 * @example
 * ```ts
 * findLanguage(['en-US', 'fr-FR'], 'EN-us'); // 'en-US'
 * ```
 */
export function findLanguage(
  configured: readonly string[],
  tag: string | undefined,
): string | undefined {
  if (tag === undefined) return undefined;
  const lower = tag.toLowerCase();
  return configured.find((l) => l.toLowerCase() === lower);
}
