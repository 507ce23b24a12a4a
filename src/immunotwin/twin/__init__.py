"""The patient digital twin: conditioning, Bayesian update and regimen ranking (issue #11)."""
