// Population module: see docs/architecture.md.
