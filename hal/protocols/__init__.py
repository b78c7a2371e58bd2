"""Wire protocols of the boards and devices, one sans-IO codec per module (bytes in, events
out; messages in, bytes out: no port and no clock inside). Shared by the serial HAL backend,
the board emulators (sim/boards) and the tests."""
