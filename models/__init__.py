"""Training, evaluation and shipped artifacts of the triage text classifier (training-side code)."""
