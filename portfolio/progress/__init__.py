"""Progress: the pure engine, apprenticeship rules, the maintained summaries,
reviews, gateway, flags, the cohort and supervisors' caseloads."""
