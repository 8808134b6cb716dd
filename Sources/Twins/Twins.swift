// Twins module: see docs/architecture.md.
