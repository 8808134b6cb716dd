// Trial module: see docs/architecture.md.
