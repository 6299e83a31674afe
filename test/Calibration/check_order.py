#!/usr/bin/python3
"""Reads lines "METHOD SQNR" and checks that each method named on the
command line beats minmax by at least MARGIN dB.

Usage: check_order.py FILE MARGIN METHOD...
"""
import sys

values = dict((l.split()[0], float(l.split()[1])) for l in open(sys.argv[1]) if l.strip())
margin = float(sys.argv[2])
ok = True
for m in sys.argv[3:]:
    better = values[m] >= values["minmax"] + margin
    print(f"{m}: {values[m]:.2f} dB vs minmax {values['minmax']:.2f} dB: "
          + ("better" if better else "NOT better"))
    ok &= better
sys.exit(0 if ok else 1)
