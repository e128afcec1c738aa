/** Plain-text helpers for messages (e-mail, Slack, commit statuses). Pure. */

/** Cuts text to `max` characters, marking the cut: Slack rejects a whole message for one over-long text, GitHub a status. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 3)).trimEnd()}...`;
}
