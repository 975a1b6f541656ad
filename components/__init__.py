"""Reusable UI pieces and figure builders; they draw analysis results and compute no statistics."""
