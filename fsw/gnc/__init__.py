"""Guidance and navigation models shared by the flight tasks and the ground planner."""
