"""The placement engine: the waiting list and the free slots of a cell in, a plan (request -> slot) out.

Plain Python, no Django import (the app, the `plan` command and the benchmarks all call it the same way). The
objective is lexicographic, in this strict order: the urgency weights of requests placed before their deadline, then
the number of requests placed, then the total distance, then the sum of slot tiers (issue 10; docs/placement.md).
"""
