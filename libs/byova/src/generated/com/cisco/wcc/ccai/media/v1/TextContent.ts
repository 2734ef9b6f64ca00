// Original file: proto/byova_common.proto


/**
 * Text carried in a transcript or summary: plain text or SSML.
 */
export interface TextContent {
  'text'?: (string);
  'ssml'?: (string);
  'language_code'?: (string);
  'input_content'?: "text"|"ssml";
}

/**
 * Text carried in a transcript or summary: plain text or SSML.
 */
export interface TextContent__Output {
  'text'?: (string);
  'ssml'?: (string);
  'language_code': (string);
  'input_content'?: "text"|"ssml";
}
