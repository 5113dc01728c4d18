"""Signed install plans: spec validation, the plan document, planning and fail-closed installs."""
