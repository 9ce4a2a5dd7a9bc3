"""Evidence: items, work-based assessment forms, claims against outcomes, attachments."""
