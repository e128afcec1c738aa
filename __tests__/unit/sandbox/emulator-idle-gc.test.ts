/**
 * The emulator's full garbage collections wait for an idle moment
 * (sandbox/emulator/idle_gc.py): none while requests keep starting, one
 * once they stop, and garbage among the objects it froze is still
 * reclaimed at the next one.
 */
import { runEmulatorPython } from "../../support/emulator";

interface Steps {
  beforeAnyRequest: boolean;
  halfASecondAfterARequest: boolean;
  aSecondAfterIt: boolean;
  cycleCollected: boolean;
  survivorsFrozen: boolean;
  withNoNewRequest: boolean;
  frozenGarbageBeforeNextIdle: boolean;
  frozenGarbageAfterNextIdle: boolean;
}

function run(): Steps {
  const output = runEmulatorPython([
    "import gc, json, weakref",
    "import idle_gc",
    // Only the idle collector collects here.
    "gc.disable()",
    "now = [0.0]",
    "collector = idle_gc.IdleCollector(idle_seconds=1.0, clock=lambda: now[0])",
    "app = collector.wrap(lambda environ, start_response: [b'ok'])",
    "class Node: pass",
    "def cycle():",
    "    node = Node(); node.me = node; return node",
    "steps = {'beforeAnyRequest': collector.collect_if_idle()}",
    "app({}, None)",
    "now[0] = 0.5",
    "steps['halfASecondAfterARequest'] = collector.collect_if_idle()",
    "garbage = weakref.ref(cycle())",
    "kept = [cycle()]",
    "survivor = weakref.ref(kept[0])",
    "now[0] = 1.0",
    "steps['aSecondAfterIt'] = collector.collect_if_idle()",
    "steps['cycleCollected'] = garbage() is None",
    "steps['survivorsFrozen'] = gc.get_freeze_count() > 0 and survivor() is not None",
    "now[0] = 5.0",
    "steps['withNoNewRequest'] = collector.collect_if_idle()",
    "kept.clear()",
    "steps['frozenGarbageBeforeNextIdle'] = survivor() is None",
    "app({}, None)",
    "now[0] = 6.0",
    "collector.collect_if_idle()",
    "steps['frozenGarbageAfterNextIdle'] = survivor() is None",
    "print(json.dumps(steps))",
  ]);
  return JSON.parse(output) as Steps;
}

describe("AWS emulator: full collections while idle", () => {
  let steps: Steps;
  beforeAll(() => {
    steps = run();
  });

  it("collects only once no request has started for the idle time, and only after some activity", () => {
    expect(steps).toMatchObject({ beforeAnyRequest: false, halfASecondAfterARequest: false, aSecondAfterIt: true, withNoNewRequest: false });
  });

  it("reclaims cyclic garbage and freezes what survives, so the next automatic collections skip it", () => {
    expect(steps).toMatchObject({ cycleCollected: true, survivorsFrozen: true });
  });

  it("still reclaims a frozen object that became garbage, at the next idle moment", () => {
    expect(steps).toMatchObject({ frozenGarbageBeforeNextIdle: false, frozenGarbageAfterNextIdle: true });
  });
});
