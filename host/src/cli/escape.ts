/**
 * One escaping function for everything the CLIs print. A capsule's channel, kind, flags, a module's logs and output
 * are chosen by whoever made them: printed raw, C1 controls (U+009B is CSI, a whole terminal escape sequence in one
 * character), C0 controls, and Unicode bidi controls (U+202E turns the rest of a line around) could rewrite or
 * disguise what the operator sees. Each such character is shown as `\uXXXX` instead.
 *
 * The same function makes serialized JSON safe: JSON.stringify already escapes C0, and a `\uXXXX` it adds inside a
 * JSON string is a valid JSON escape of the very same character, so `--json` output parses to the same values.
 */
const UNSAFE = '\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';
const IN_TEXT = new RegExp(`[${UNSAFE}]`, 'g');
const IN_FIELD = new RegExp(`[\\t\\n${UNSAFE}]`, 'g');

const hex4 = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Escapes C0 controls, DEL, C1 controls (U+0080–U+009F), the bidi controls (U+061C, U+200E, U+200F, U+202A–U+202E,
 * U+2066–U+2069) and the line/paragraph separators U+2028/U+2029. `keep: 'lines'` (whole outputs) keeps newline
 * and tab; the default (one field inside a line) escapes them too, so a value cannot start a fake row.
 */
export function escapeControls(s: string, keep: 'lines' | 'none' = 'none'): string {
  return s.replace(keep === 'lines' ? IN_TEXT : IN_FIELD, hex4);
}
