import * as z from "zod";

/**
 * A Slack message as lines of text, roughly as Slack shows it: each
 * block's text, buttons as [Label], inputs as [Label: ____]. For the
 * terminal of `npm run sandbox -- slack`; not a Block Kit renderer.
 */

const text = z.looseObject({ text: z.string() });
const block = z.looseObject({
  type: z.string(),
  text: text.optional(),
  fields: z.array(text).optional(),
  elements: z.array(z.looseObject({ type: z.string(), text: z.union([text, z.string()]).optional() })).optional(),
  accessory: z.looseObject({ type: z.string(), text: text.optional() }).optional(),
  label: text.optional(),
});
const message = z.looseObject({
  text: z.string().optional(),
  blocks: z.array(z.unknown()).optional(),
  response_type: z.string().optional(),
  replace_original: z.union([z.boolean(), z.string()]).optional(),
  delete_original: z.union([z.boolean(), z.string()]).optional(),
});

function blockLines(raw: unknown): string[] {
  const parsed = block.safeParse(raw);
  if (!parsed.success) return ["(a block Slack would refuse)"];
  const { type, text: blockText, fields, elements, accessory, label } = parsed.data;
  const button = (label: string) => `[${label}]`;
  switch (type) {
    case "header":
    case "section":
      return [
        ...(blockText ? [blockText.text] : []),
        ...(fields ?? []).map((field) => field.text),
        ...(accessory?.type === "button" && accessory.text ? [button(accessory.text.text)] : []),
      ];
    case "context":
      return [
        (elements ?? [])
          .flatMap((element) => (typeof element.text === "string" ? [element.text] : element.text ? [element.text.text] : []))
          .join("  ·  "),
      ];
    case "actions":
      return [
        (elements ?? [])
          .map((element) => (element.type === "button" && typeof element.text === "object" ? button(element.text.text) : `[${element.type}]`))
          .join(" "),
      ];
    case "input":
      return [`[${label?.text ?? "input"}: ____]`];
    case "divider":
      return ["────"];
    default:
      return [`(${type} block)`];
  }
}

/** The lines Slack would show for a message. */
export function slackMessageLines(raw: unknown): string[] {
  const parsed = message.safeParse(raw);
  if (!parsed.success) return [JSON.stringify(raw)];
  const { text: fallback, blocks } = parsed.data;
  return blocks && blocks.length > 0 ? blocks.flatMap(blockLines) : fallback !== undefined ? [fallback] : [];
}

/** The lines Slack would show for an answer sent to a response_url, after a line saying where it goes. */
export function slackResponseLines(raw: unknown): string[] {
  const parsed = message.safeParse(raw);
  if (!parsed.success) return [JSON.stringify(raw)];
  const { response_type: responseType, replace_original: replace, delete_original: remove } = parsed.data;
  const where =
    remove === true || remove === "true"
      ? "deletes the message"
      : replace === true || replace === "true"
        ? "replaces the message"
        : responseType === "in_channel"
          ? "in the channel"
          : "only visible to you";
  return [`(${where})`, ...slackMessageLines(raw)];
}
