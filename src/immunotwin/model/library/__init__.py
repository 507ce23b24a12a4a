"""Small reference models (classic tumour-immune models, PK building blocks) used in tests,
benchmarks and the quick demo."""
