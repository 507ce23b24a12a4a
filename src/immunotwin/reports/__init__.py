"""Figures and HTML reports (an edge: reads tables, computes no endpoint)."""
