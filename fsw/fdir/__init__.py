"""Fault detection, isolation and recovery: monitor table, its engine, task health."""
