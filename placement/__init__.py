"""The placement assistant (issue 10): a plan for a cell's whole waiting list, better than first-come-first-served.

`placement.engine` is the engine, plain Python with no Django import (the app, the `plan` command and the benchmarks
all call it the same way); the rest of this app is the coordinator's screen that asks it for a proposal and applies it
through normal bookings.
"""
