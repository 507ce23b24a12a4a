"""Genomic profiling: VEP VCF -> TMB -> neoepitopes -> MHC-I binding -> vaccine design."""
