"""Shorter GIL turns for the emulator's request threads.

The emulator answers each request on its own thread, and a Python thread
keeps the GIL for up to 5 ms (sys.getswitchinterval) while others wait.
Under a burst (50 webhook deliveries fanning out into ~20 calls each) a
short request waited for several long turns of other threads. 1 ms turns
cost a little more switching and cut the burst's tail latency (see
sandbox/README.md for the measurements).
"""

import sys


def install() -> None:
    sys.setswitchinterval(0.001)
