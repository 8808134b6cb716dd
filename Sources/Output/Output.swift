// Output module: see docs/architecture.md.
