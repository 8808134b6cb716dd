// TrialProtocol module: see docs/architecture.md.
