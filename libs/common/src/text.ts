// The one check of hostile text, used by every input that ends up in Postgres.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_LINE_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const LONE_SURROGATE = /\p{Cs}/u;

/** Text Postgres can store: no NUL (22021) and no lone UTF-16 surrogate (text and jsonb refuse it, 22P02). */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && !LONE_SURROGATE.test(value);
}

/**
 * Control characters (NUL included), which have no place in names or notes; with
 * `allowLineBreaks`, tabs and line breaks are let through (free text such as a note).
 */
export function hasControlCharacters(value: string, options: { allowLineBreaks?: boolean } = {}): boolean {
  return (options.allowLineBreaks ? CONTROL_BUT_LINE_BREAKS : CONTROL).test(value);
}
