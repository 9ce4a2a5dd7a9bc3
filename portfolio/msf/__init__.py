"""Multi-source feedback: a self-assessment, raters invited by ticket, anonymous
answers collated and released after review with the supervisor."""
