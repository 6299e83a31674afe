"""Shared by the fake tools: argv logging and errors."""
import os
import shlex
import sys


def start(name):
    """Appends `name args...` to $FAKE_TOOLS_LOG (if set); returns the args."""
    log = os.environ.get("FAKE_TOOLS_LOG")
    if log:
        with open(log, "a") as f:
            f.write(shlex.join([name] + sys.argv[1:]) + "\n")
    return sys.argv[1:]


def die(name, msg):
    print(f"{name}: error: {msg}", file=sys.stderr)
    sys.exit(1)
