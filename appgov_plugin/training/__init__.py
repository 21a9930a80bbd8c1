"""Training records (TP-TRN-1..6, TN-LEARN-1) on the roll-out registry's people and systems:
courses and sessions with lecturers from the registry, nominations, the roll call, leave and
dismissal, results, retakes, fitness reviews, e-learning completions, yearly learning hours
and transcripts. The README's chapter "Training records" says who does what."""
