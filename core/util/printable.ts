/**
 * Text from outside (file names, paths, messages that quote them) made safe to print: control characters
 * (C0, DEL, C1) and the line/paragraph separators become visible escapes, so a file named with an ANSI
 * sequence or a newline cannot recolour a terminal, fake an output line or hide part of a message.
 */
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\x1b': '\\e' };

export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    if (NAMED[c]) return NAMED[c];
    const code = c.charCodeAt(0);
    return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}
