/** The most characters of a user's field an error message repeats. */
export const ECHO_CHARS = 40;

/**
 * A field of a user's file as an error may quote it: at most `max` characters (then "…"), with
 * control characters written as \n, \t or \u00XX so that a quoted field cannot forge log lines
 * or move a terminal's cursor when the CLI prints it. Errors quote only the offending field,
 * never a whole line: a file that is not what it claims to be (an .env, a config file) must not
 * be readable through import errors.
 */
export function echoField(text: string, max = ECHO_CHARS): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  const escaped = cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return cut.length < text.length ? `${escaped}…` : escaped;
}
