/** Text helpers for Slack messages. Pure. */

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Cuts text to `max` characters, marking the cut: Slack rejects a whole message for one over-long text. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 3)).trimEnd()}...`;
}

/** `<url|label>` when the URL can go inside the brackets, else the label alone. */
export function mrkdwnLink(url: string | undefined, label: string): string {
  return url && !/[|>\s]/.test(url) ? `<${url}|${escapeMrkdwn(label)}>` : escapeMrkdwn(label);
}
