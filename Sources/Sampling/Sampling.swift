// Sampling module: see docs/architecture.md.
