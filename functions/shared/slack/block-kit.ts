/** Block Kit's limits (Slack refuses a whole message for one text over them), shared by every message pipewright posts. */

export const HEADER_MAX = 150;
export const FIELD_MAX = 2000;
export const SECTION_MAX = 3000;
export const FIELDS_MAX = 10;
export const CONTEXT_MAX = 2000;
export const BUTTON_TEXT_MAX = 75;
export const BUTTON_VALUE_MAX = 2000;
export const URL_MAX = 3000;
export const PLACEHOLDER_MAX = 150;
