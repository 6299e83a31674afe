#!/usr/bin/python3
"""Prints the SQNR (dB) of a quantized output against the float one:
10 log10(sum(ref^2) / sum((ref - q)^2)).

Usage: sqnr.py NAME REF.npy Q.npy
"""
import sys

import numpy as np

ref = np.load(sys.argv[2]).astype(np.float64)
q = np.load(sys.argv[3]).astype(np.float64)
print(f"{sys.argv[1]} {10 * np.log10(np.sum(ref ** 2) / np.sum((ref - q) ** 2)):.2f}")
