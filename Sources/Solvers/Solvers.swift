// Solvers module: see docs/architecture.md.
