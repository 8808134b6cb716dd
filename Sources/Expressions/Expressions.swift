// Expressions module: see docs/architecture.md.
