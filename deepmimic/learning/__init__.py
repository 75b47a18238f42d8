"""Learning side: normalizers, path buffer, torch nets, the PPO agent and the training loop."""
