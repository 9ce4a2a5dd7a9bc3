"""Exports: portfolio PDFs and registration packs rendered by workers, verification,
share links and portable bundles."""
