import fc from "fast-check";
import { commandText, helpText, parseCommandText, type SlackCommand } from "../../../../functions/shared/slack/command";

const SHA = "0123456789abcdef0123456789abcdef01234567";

describe("parseCommandText", () => {
  it.each<[string, SlackCommand]>([
    ["", { kind: "help" }],
    ["   ", { kind: "help" }],
    ["help", { kind: "help" }],
    ["Help", { kind: "help" }],
    ["status", { kind: "status" }],
    ["status orders", { kind: "status", service: "orders" }],
    ["  status\tpw-shop-orders  ", { kind: "status", service: "pw-shop-orders" }],
    ["deploy orders", { kind: "deploy", service: "orders" }],
    [`deploy orders ${SHA}`, { kind: "deploy", service: "orders", commit: SHA }],
    [`DEPLOY orders ${SHA.toUpperCase()}`, { kind: "deploy", service: "orders", commit: SHA }],
  ])("reads %j", (text, command) => {
    expect(parseCommandText(text)).toEqual(command);
  });

  it.each([
    ["help me", "help takes no arguments"],
    ["status a b", "status takes at most one argument, a service"],
    ["status <@U123>", '"<@U123>" is not a service name'],
    ["deploy", "deploy needs a service: deploy <service> [commit]"],
    ["deploy orders main", '"main" is not a commit: give its full 40-character SHA'],
    [`deploy orders ${SHA.slice(0, 7)}`, `"${SHA.slice(0, 7)}" is not a commit`],
    [`deploy orders ${SHA} now`, "deploy takes a service and at most a commit"],
    ["rollback orders", '"rollback" is not a subcommand'],
  ])("refuses %j saying why", (text, reason) => {
    const command = parseCommandText(text);
    expect(command.kind).toBe("invalid");
    expect(command.kind === "invalid" && command.reason).toContain(reason);
  });

  it("quotes at most a bounded part of the user's text in a reason", () => {
    const command = parseCommandText(`x${"y".repeat(5000)}`);
    expect(command.kind === "invalid" && command.reason.length).toBeLessThan(100);
  });

  it("gives exactly one of the outcomes for any text, and never throws", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: "grapheme" }),
          fc.array(fc.constantFrom("help", "status", "deploy", "orders", SHA, " ", "\n", "x y")).map((words) => words.join(" ")),
        ),
        (text) => {
          const command = parseCommandText(text);
          expect(["help", "status", "deploy", "invalid"]).toContain(command.kind);
          if (command.kind === "invalid") expect(command.reason.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 2000 },
    );
  });

  const service = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,30}$/);
  const commit = fc.stringMatching(/^[0-9a-f]{40}$/);
  const validCommand: fc.Arbitrary<Exclude<SlackCommand, { kind: "invalid" }>> = fc.oneof(
    fc.constant({ kind: "help" as const }),
    fc.constant({ kind: "status" as const }),
    service.map((name) => ({ kind: "status" as const, service: name })),
    service.map((name) => ({ kind: "deploy" as const, service: name })),
    fc.tuple(service, commit).map(([name, sha]) => ({ kind: "deploy" as const, service: name, commit: sha })),
  );

  it("reads back every valid command from its text, whatever the blanks around the words", () => {
    fc.assert(
      fc.property(validCommand, fc.constantFrom(" ", "  ", "\t", " \n "), (command, blank) => {
        expect(parseCommandText(commandText(command))).toEqual(command);
        expect(parseCommandText(`${blank}${commandText(command).split(" ").join(blank)}${blank}`)).toEqual(command);
      }),
    );
  });
});

describe("helpText", () => {
  it("names every subcommand with its arguments under the command Slack used", () => {
    const text = helpText("/pw");
    for (const usage of ["/pw status [service]", "/pw deploy <service> [commit]", "/pw help"]) expect(text).toContain(usage);
  });
});
