"""Board emulators for hardware-in-the-loop: the simulator's device models served over
serial lines in the boards' own wire protocols (hal/protocols), one module per board.
Each emulator is ticked with the world's time and writes what the real board would
have sent by then; what it reads back (commands) it applies to the world's devices."""
