/**
 * A connection URL with its password replaced, safe to print. Anything that does not parse is
 * replaced whole: a malformed URL may still hold a password.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) {
      if (/pass|secret|key|token/i.test(key)) parsed.searchParams.set(key, '***');
    }
    return parsed.toString();
  } catch {
    return '<unparseable URL>';
  }
}

/** Replaces every URL-looking connection string inside a message (driver errors can echo them). */
export function redactText(text: string): string {
  return text.replace(/postgres(?:ql)?:\/\/[^\s'"]+/g, (match) => redactUrl(match));
}
