/**
 * Driver messages can quote a rejected value ("invalid input syntax for type integer: "12ab""):
 * keep the message, drop the value. pgcarve's rule (README, "Row values in messages"): names,
 * counts and LSNs appear; a primary-key value only in an error about that one legacy row (the
 * operator needs it to find the row); no other column value.
 */
export function withoutValues(text: string): string {
  return text.replace(/((?:for type|for enum) [^:]{1,80}: )"(?:[^"]|"")*"/g, '$1"…"');
}
