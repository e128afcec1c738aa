/**
 * The emulator patches moto's internals, so it runs only on the moto release
 * sandbox/emulator/requirements.txt pins, and says so, with the fix, when
 * another one is installed.
 */
import { motoRequirement } from "../../../sandbox/emulator";
import { requireMoto } from "../../../sandbox/prerequisites";
import { runEmulatorPython } from "../../support/emulator";

describe("AWS emulator: the pinned moto release", () => {
  it("is one exact version, the same for the launcher and server.py", () => {
    const { requirement, version } = motoRequirement();
    expect(requirement).toBe(`moto[server]==${version}`);
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(runEmulatorPython(["import server", "print(server.required_moto_version())"]).trim()).toBe(version);
  });

  it("refuses to start on another release, before loading any patch, naming both versions and the fix", () => {
    const { version } = motoRequirement();
    // What `python3 server.py` runs first: the import of server.py, here with moto claiming another release.
    const start = () =>
      runEmulatorPython([
        "import atexit, moto",
        "atexit.register(lambda: print('patches imported:', 'pipeline_api' in sys.modules, file=sys.stderr))",
        "moto.__version__ = '5.1.0'",
        "import server",
        "print('started')",
      ]);
    expect(start).toThrow(
      `moto 5.1.0 is installed, but pipewright's AWS emulator needs moto ${version}: its patches replace internals of that exact release. Fix: python3 -m pip install 'moto[server]==${version}'`,
    );
    expect(start).toThrow("patches imported: False");
    expect(start).not.toThrow(/Traceback/);
  });

  it("starts on the pinned release, which is the one installed here", async () => {
    await expect(requireMoto()).resolves.toBeUndefined();
    expect(
      runEmulatorPython([
        "import server",
        "server.check_moto_version(server.required_moto_version(), server.required_moto_version())",
        "print('ok')",
      ]).trim(),
    ).toBe("ok");
  });
});
