// Statistics module: see docs/architecture.md.
