/**
 * Text Terraform must take literally. Every string in Terraform's JSON is a
 * template: `${...}` would be read as an interpolation and `%{...}` as a
 * directive, so a buildspec holding shell's `${VAR}` must escape them.
 */
export function terraformLiteral(text: string): string {
  // Replacer functions: in a replacement string, "$$" would stand for one "$".
  return text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
}
