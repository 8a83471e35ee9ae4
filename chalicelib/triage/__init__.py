"""Complaint triage: classifiers and checks that run inside the Lambdas.

Imports nothing on purpose: each module (e.g. `text_model`, the lean text classifier runtime) is imported on use,
so importing the package costs nothing at cold start.
"""
