/** Text helpers for Slack messages. Pure. */

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** `<url|label>` when the URL can go inside the brackets, else the label alone. */
export function mrkdwnLink(url: string | undefined, label: string): string {
  return url && !/[|>\s]/.test(url) ? `<${url}|${escapeMrkdwn(label)}>` : escapeMrkdwn(label);
}
