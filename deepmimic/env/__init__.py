"""Simulation side: motion clips, the character built from its char file, PD control and the imitation env."""
